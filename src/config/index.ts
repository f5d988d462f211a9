/**
 * Config validation: Zod schemas checked once at start, problems named by path (and by
 * file:line:col for YAML files), the result frozen.
 */
export { deepFreeze, type DeepReadonly } from './freeze.ts';
export { describeValue, formatPath, sluiceErrorMap, TOP_LEVEL, type PathSegment } from './issues.ts';
export {
  describeIssues,
  formatProblem,
  problemsError,
  validate,
  type ConfigProblem,
  type SourcePosition,
  type ValidateOptions,
} from './validate.ts';
export { loadYamlFile, parseYaml, type ParseYamlOptions } from './yaml.ts';
