/**
 * Where a cluster's commit windows come from. Burrow learns every commit, with the time it was
 * made, from the `__consumer_offsets` topic; so does Sluice wherever the cluster lets it read that
 * topic (`offsets-topic`). Where it cannot (the topic is missing, reading is not authorized, the
 * reader has failed for three collection intervals), commits are polled with OffsetFetch once a
 * cycle instead (`polled`; see CommitWindows.observeCommitted for what polling cannot tell). The
 * source in use is decided at the start of each cycle and reported with every status.
 *
 * Each source keeps windows of its own, fed the same log end offsets, so that switching loses
 * nothing the topic told: polled windows are started afresh each time polling takes over.
 */
import type { OffsetsTopicRecord } from '../../kafka/offsets-topic.ts';
import type { OffsetsTopicReaderState } from '../../kafka/offsets-topic-reader.ts';
import { CommitWindows, type CommitWindowOptions } from './commit-window.ts';
import type { GroupCommittedOffsets } from './lag.ts';
import type { TopicPartition } from './time-lag.ts';

/** Where commits come from: read from `__consumer_offsets`, or polled with OffsetFetch. */
export type CommitSourceKind = 'offsets-topic' | 'polled';

/** What the tracker needs of a `__consumer_offsets` reader (OffsetsTopicReader). */
export interface CommitReader {
  start(): void;
  stop(): Promise<void>;
  readonly state: OffsetsTopicReaderState;
}

/** Builds a reader that hands its records to `onRecord`. */
export type CommitReaderFactory = (
  onRecord: (record: OffsetsTopicRecord, position: { readonly partition: number; readonly offset: number }) => void,
) => CommitReader;

/** Who consumes a partition, as the group's metadata in `__consumer_offsets` says. */
export interface PartitionOwner {
  /** The member's host, e.g. `/10.0.0.7` (Burrow's `owner`). */
  readonly owner: string;
  readonly clientId: string;
}

/** The commit windows of one cluster and the source they come from. */
export class CommitTracker {
  private readonly polled: CommitWindows;
  private readonly fromTopic: CommitWindows;
  private readonly reader: CommitReader | undefined;
  private readerStarted = false;
  private kind: CommitSourceKind = 'polled';
  /** group → `topic/partition` → owner, from the latest group metadata record. */
  private readonly owners = new Map<string, Map<string, PartitionOwner>>();

  /**
   * `reader`: how to read `__consumer_offsets` (none: always poll); `staleAfterMs`: how long the
   * reader may fail before polling takes over.
   */
  constructor(options: CommitWindowOptions, reader: CommitReaderFactory | undefined, private readonly staleAfterMs: number) {
    this.polled = new CommitWindows(options);
    this.fromTopic = new CommitWindows(options);
    this.reader = reader?.((record, position) => this.take(record, position.offset));
  }

  /** The source in use since the last cycle began. */
  get source(): CommitSourceKind {
    return this.kind;
  }

  /** The windows of the source in use. */
  get windows(): CommitWindows {
    return this.kind === 'offsets-topic' ? this.fromTopic : this.polled;
  }

  /** How the `__consumer_offsets` reader does, if there is one and it has started. */
  get readerState(): OffsetsTopicReaderState | undefined {
    return this.readerStarted ? this.reader?.state : undefined;
  }

  /**
   * Decides the cycle's source at `wallMs` (the reader's clock: the wall clock): the topic while
   * its reader has read within staleAfterMs, else polling.
   */
  beginCycle(wallMs: number): CommitSourceKind {
    const last = this.readerStarted ? this.reader?.state.lastReadMs : undefined;
    const next: CommitSourceKind = last !== undefined && wallMs - last <= this.staleAfterMs ? 'offsets-topic' : 'polled';
    if (next === 'polled' && this.kind !== 'polled') this.polled.clearCommits();
    this.kind = next;
    return next;
  }

  /** Starts reading `__consumer_offsets` (call once log end offsets are known); again: nothing. */
  startReader(): void {
    if (this.reader === undefined || this.readerStarted) return;
    this.readerStarted = true;
    this.reader.start();
  }

  /** A log end offset reading, for both sources. */
  recordLogEnd(topic: string, partition: number, offset: number): void {
    this.polled.recordLogEnd(topic, partition, offset);
    this.fromTopic.recordLogEnd(topic, partition, offset);
  }

  /**
   * The cycle's polled committed offsets, taken only while polling is the source. `members`:
   * members of each group; a group with members is taken to re-commit an offset that stood still.
   */
  observePolled(groups: readonly GroupCommittedOffsets[], members: ReadonlyMap<string, number>, nowMs: number): void {
    if (this.kind !== 'polled') return;
    for (const g of groups) {
      const committing = (members.get(g.group) ?? 0) > 0;
      for (const o of g.offsets) this.polled.observeCommitted(g.group, o.topic, o.partition, o.offset, nowMs, committing);
    }
  }

  /** Keeps only the partitions of the latest metadata, in both sources. */
  retainPartitions(partitions: Iterable<TopicPartition>): void {
    const list = [...partitions];
    this.polled.retainPartitions(list);
    this.fromTopic.retainPartitions(list);
  }

  /** Keeps only the groups the cluster still lists, in both sources. */
  retainGroups(groups: Iterable<string>): void {
    const list = [...groups];
    this.polled.retainGroups(list);
    this.fromTopic.retainGroups(list);
    const keep = new Set(list);
    for (const group of this.owners.keys()) if (!keep.has(group)) this.owners.delete(group);
  }

  /** The owner of a partition, when group metadata named one. */
  owner(group: string, topic: string, partition: number): PartitionOwner | undefined {
    return this.owners.get(group)?.get(`${topic}/${partition}`);
  }

  /** Stops the reader. */
  async close(): Promise<void> {
    if (this.readerStarted) await this.reader?.stop();
    this.readerStarted = false;
  }

  /** One record of `__consumer_offsets`, at `order` (its offset in its partition). */
  private take(record: OffsetsTopicRecord, order: number): void {
    switch (record.kind) {
      case 'offset':
        this.fromTopic.recordCommit(record.group, record.topic, record.partition, { offset: record.offset, timestampMs: record.commitTimestampMs, order });
        break;
      case 'offset-deleted':
        this.fromTopic.forgetCommits(record.group, record.topic, record.partition);
        break;
      case 'group': {
        // Burrow clears a group's owners when its metadata lists no member, and sets each
        // assigned partition's owner from the members listed.
        const owners = new Map<string, PartitionOwner>();
        for (const m of record.members) {
          for (const [topic, partitions] of m.assignment) for (const p of partitions) owners.set(`${topic}/${p}`, { owner: m.clientHost, clientId: m.clientId });
        }
        if (owners.size === 0) this.owners.delete(record.group);
        else this.owners.set(record.group, owners);
        break;
      }
      case 'invalid':
        break;
    }
  }
}
