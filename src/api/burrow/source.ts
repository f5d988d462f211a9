/**
 * What the Burrow-compatible API reads of each cluster: the topic collector's commit windows,
 * their source and evaluator settings, and the collector's cluster settings (Burrow's "cluster
 * module"). A narrow view, so that the routes never reach into the collector.
 */
import type { LagEvaluatorOptions } from '../../collect/lag/burrow.ts';
import type { CommitWindows } from '../../collect/lag/commit-window.ts';
import type { CommitSourceKind, PartitionOwner } from '../../collect/lag/commit-tracker.ts';
import type { TopicCollector } from '../../collect/topics.ts';

/** The windows of one cluster, as far as the API reads them. */
export type BurrowWindows = Pick<CommitWindows, 'intervals' | 'topics' | 'latestLogEnds' | 'groups' | 'groupsOfTopic' | 'groupWindows'>;

/** One cluster as Burrow's API shows it. */
export interface BurrowCluster {
  readonly name: string;
  /** Bootstrap servers, client id, SASL user and refresh period (s): Burrow's cluster module detail. */
  readonly module: {
    readonly servers: readonly string[];
    readonly clientId: string;
    readonly refreshSeconds: number;
    readonly saslUsername?: string;
  };
  /** Where commits come from now. */
  readonly commitSource: CommitSourceKind;
  /** The windows of that source. */
  readonly windows: BurrowWindows;
  readonly evaluator: LagEvaluatorOptions;
  owner(group: string, topic: string, partition: number): PartitionOwner | undefined;
}

/** The Burrow view of a topic collector. */
export function burrowCluster(collector: TopicCollector): BurrowCluster {
  const { config, commits } = collector;
  return {
    name: collector.cluster,
    module: {
      servers: [...config.bootstrap],
      clientId: `sluice-collect-${config.name}`,
      refreshSeconds: config.intervals.topics,
      ...(config.sasl ? { saslUsername: config.sasl.username } : {}),
    },
    get commitSource() {
      return commits.source;
    },
    get windows() {
      return commits.windows;
    },
    evaluator: collector.evaluator,
    owner: (group, topic, partition) => commits.owner(group, topic, partition),
  };
}
