/**
 * What the status page shows, as data: the main page (`StatusView`, also served as JSON at
 * `GET /api/v1/status`) and a consumer group's page (`GroupDetailView`). The page's HTML is
 * rendered from these on the server (render.ts, group-page.ts); view.ts reads them from the
 * service's parts.
 */

/** One point of a sparkline: time (ms since the epoch) and value. */
export type Point = readonly [ts: number, value: number];

/** One broker as the page shows it. */
export interface BrokerStatus {
  readonly id: string;
  readonly up: boolean;
  /** max(bytes in / capacity in, bytes out / capacity out, 1 − handler idle) now; null when unknown. */
  readonly utilization: number | null;
  /** Utilization over the window. */
  readonly series: readonly Point[];
  /** All bytes in (clients and replication) per second now; null when unknown. */
  readonly bytesInPerSec: number | null;
  /** All bytes out (clients and replication) per second now; null when unknown. */
  readonly bytesOutPerSec: number | null;
  readonly bytesIn: readonly Point[];
  readonly bytesOut: readonly Point[];
  /** Network capacity the broker reports, bytes per second; null when it reports none. */
  readonly capacityIn: number | null;
  readonly capacityOut: number | null;
  /** 1 − request handler idle, now; null when unknown. */
  readonly handlerBusy: number | null;
  /** Partitions the broker leads, and replicas it holds, as the cluster collector last counted them. */
  readonly leaders: number | null;
  readonly replicas: number | null;
}

/** One client in one direction. */
export interface ClientStatus {
  readonly user: string;
  readonly clientId: string;
  readonly direction: 'produce' | 'consume';
  /** Bytes per second over all brokers, now. */
  readonly bytesPerSec: number;
  /** Largest throttle time over brokers now, ms. */
  readonly throttleMs: number;
  readonly series: readonly Point[];
}

/**
 * One consumer group, from its newest collection: every value is the one collected at `seenAt`
 * (null when that collection had none: no committed partition, no lag in seconds known yet).
 */
export interface ConsumerGroupStatus {
  readonly name: string;
  /** Burrow's group status (OK, WARN, ERR, NOTFOUND) as Sluice evaluated it; '' when not known. */
  readonly status: string;
  readonly members: number | null;
  /** Messages behind over all committed partitions. */
  readonly lag: number | null;
  /** The largest partition lag in seconds. */
  readonly lagSeconds: number | null;
  /** When the group was last collected (ISO). */
  readonly seenAt: string;
  /** False when the cluster's newest collection no longer listed the group. */
  readonly current: boolean;
  /** Total lag over the window. */
  readonly series: readonly Point[];
}

/** The consumer groups of a cluster: the worst ones and how many there are of each status. */
export interface ClusterGroups {
  /** Worst first: current before gone, then by status (ERR, WARN, OK, NOTFOUND), then by lag. */
  readonly shown: readonly ConsumerGroupStatus[];
  readonly total: number;
  /** Groups by status, every group counted (shown or not); '' for an unknown status. */
  readonly byStatus: Readonly<Record<string, number>>;
}

/** One cluster. */
export interface ClusterStatus {
  readonly name: string;
  readonly brokersUp: number;
  readonly brokers: readonly BrokerStatus[];
  readonly groups: ClusterGroups;
  readonly topClients: readonly ClientStatus[];
  /** The throttle loop's last round; null without a loop or before its first round. */
  readonly throttle: { readonly mode: string; readonly at: string; readonly state: string; readonly reason: string; readonly explanation: string } | null;
}

/** One firing alert. */
export interface AlertStatus {
  readonly name: string;
  readonly severity: string;
  readonly summary: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly activeAt: string;
  readonly muted: boolean;
}

/** One quota decision. */
export interface DecisionStatus {
  readonly id: number;
  readonly at: string;
  readonly cluster: string;
  readonly entity: string;
  readonly quota: string;
  readonly oldValue: number | null;
  readonly newValue: number | null;
  readonly status: string;
  readonly by: string | null;
  readonly reason: string;
}

/** The whole page. */
export interface StatusView {
  readonly at: string;
  /** The sparklines' frame is the window up to `at`. */
  readonly windowSeconds: number;
  /** Seconds between the points of rate and utilization sparklines. */
  readonly stepSeconds: number;
  /** How often the page's script fetches the page again. */
  readonly refreshSeconds: number;
  readonly clusters: readonly ClusterStatus[];
  readonly alerts: { readonly firing: readonly AlertStatus[]; readonly pending: number };
  readonly decisions: readonly DecisionStatus[];
}

/** One partition of a group, at the group's newest collection. */
export interface PartitionView {
  readonly topic: string;
  readonly partition: number;
  /** Burrow's partition status (OK, WARN, STOP, STALL, REWIND); '' when not known. */
  readonly status: string;
  /**
   * The committed offset: end offset − lag of the same collection (a commit past the end, whose
   * lag reads 0, shows as the end offset); null without a commit.
   */
  readonly currentOffset: number | null;
  readonly endOffset: number | null;
  readonly lag: number | null;
  readonly lagSeconds: number | null;
}

/** A consumer group's page. */
export interface GroupDetailView {
  readonly at: string;
  readonly windowSeconds: number;
  readonly refreshSeconds: number;
  readonly cluster: string;
  /** The group asked for. */
  readonly name: string;
  /** null when the cluster is not watched or the group was not collected within the window. */
  readonly group: ConsumerGroupStatus | null;
  /** The largest partition lag in seconds over the window. */
  readonly lagSecondsSeries: readonly Point[];
  /** By topic, then partition number. */
  readonly partitions: readonly PartitionView[];
}

/** Where the pages' data comes from. */
export interface StatusSource {
  status(): Promise<StatusView>;
  /** A group's page. */
  group(cluster: string, group: string): Promise<GroupDetailView>;
}
