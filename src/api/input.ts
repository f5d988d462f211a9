/**
 * Checking request input against zod schemas, with the same wording as config errors and the
 * field path prefixed by where it came from (`body.matchers[0].name: expected text, got 3`).
 */
import * as z from 'zod';
import { validate } from '../config/validate.ts';
import { formatPath, type PathSegment } from '../config/issues.ts';

/** The parsed `input`, or a SLUICE_ERR_API_REQUEST naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  return validate(schema, input ?? {}, {
    code: 'SLUICE_ERR_API_REQUEST',
    label: (path: readonly PathSegment[]) => (path.length === 0 ? where : `${where}${formatPath(path).startsWith('[') ? '' : '.'}${formatPath(path)}`),
  });
}

/** The JSON schema of a zod schema, for the OpenAPI document. */
export function docSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
