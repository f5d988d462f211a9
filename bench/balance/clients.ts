/**
 * The bench's real clients (kafkajs over real sockets): one producer per topic writing each
 * partition at its own rate (the key skew), acks=all, every acknowledged message remembered by
 * its sequence number and every acknowledge latency recorded with the time it was sent; one
 * consumer group per resource group reading as fast as the topics fill; and at the end a reader
 * of everything, to count acknowledged messages that are not there.
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { CONSUMER_GROUPS, MESSAGE_BYTES, TOPICS, type TopicDef } from './scenario.ts';

/** Time between pacing ticks, ms. */
const TICK_MS = 20;
/** Sends in flight per partition at most; beyond, due messages wait for the next tick. */
const MAX_IN_FLIGHT = 2;

/** One acknowledged latency: when its message was handed to the client (epoch ms) and how long the ack took. */
export interface LatencyPoint {
  readonly at: number;
  readonly ms: number;
  readonly partition: number;
}

/** A message value: `<topic>:<partition>:<seq>:` padded to MESSAGE_BYTES. */
function valueOf(topic: string, partition: number, seq: number): string {
  const head = `${topic}:${partition}:${seq}:`;
  return head + 'x'.repeat(Math.max(0, MESSAGE_BYTES - head.length));
}

/** One topic's producer. */
class TopicProducer {
  readonly acked: Set<number>[];
  readonly latencies: LatencyPoint[] = [];
  errors = 0;
  lastError: string | null = null;
  private readonly next: number[];
  private readonly inFlight: number[];
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(readonly def: TopicDef, private readonly producer: Producer) {
    this.acked = def.rates.map(() => new Set<number>());
    this.next = def.rates.map(() => 0);
    this.inFlight = def.rates.map(() => 0);
  }

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    this.def.rates.forEach((rate, partition) => {
      if (this.inFlight[partition]! >= MAX_IN_FLIGHT) return;
      const due = Math.floor(rate * elapsed);
      const seqs: number[] = [];
      for (; this.next[partition]! < due; this.next[partition]!++) seqs.push(this.next[partition]!);
      if (seqs.length > 0) this.send(partition, seqs);
    });
  }

  /**
   * One send per partition: kafkajs keeps the responses of a multi-broker send across its
   * retries by broker, so a partition whose leader moved to a broker that had already answered
   * for another partition is never sent again, yet the send resolves (tulios/kafkajs#1798).
   */
  private send(partition: number, seqs: readonly number[]): void {
    const sentAt = Date.now();
    this.inFlight[partition]!++;
    const send = this.producer.send({ topic: this.def.name, acks: -1, messages: seqs.map((seq) => ({ partition, value: valueOf(this.def.name, partition, seq) })) })
      .then(() => {
        const ms = Date.now() - sentAt;
        for (const seq of seqs) {
          this.acked[partition]!.add(seq);
          this.latencies.push({ at: sentAt, ms, partition });
        }
      }, (err: unknown) => {
        this.errors += seqs.length;
        this.lastError = err instanceof Error ? err.message : String(err);
      })
      .finally(() => {
        this.inFlight[partition]!--;
        this.pending.delete(send);
      });
    this.pending.add(send);
  }

  /** Stops sending and waits for the sends in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.all([...this.pending]);
  }

  get ackedCount(): number {
    return this.acked.reduce((a, s) => a + s.size, 0);
  }
}

/** Every client of the run. */
export class Clients {
  readonly producers: TopicProducer[] = [];
  private readonly kafkaProducers: Producer[] = [];
  private readonly consumers: Consumer[] = [];
  consumerCrashes = 0;
  consumedMessages = 0;
  lastConsumerError: string | null = null;

  private constructor(private readonly bootstrap: readonly string[]) {}

  private kafka(clientId: string): Kafka {
    return new Kafka({ clientId, brokers: [...this.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 } });
  }

  /** Connects every producer and consumer and starts them. */
  static async start(bootstrap: readonly string[]): Promise<Clients> {
    const c = new Clients(bootstrap);
    for (const def of TOPICS) {
      const producer = c.kafka(def.producer).producer({ allowAutoTopicCreation: false });
      await producer.connect();
      c.kafkaProducers.push(producer);
      c.producers.push(new TopicProducer(def, producer));
    }
    for (const g of CONSUMER_GROUPS) {
      const consumer = c.kafka(g.group).consumer({ groupId: g.group, sessionTimeout: 30_000, heartbeatInterval: 1000 });
      consumer.on(consumer.events.CRASH, (e) => {
        c.consumerCrashes++;
        c.lastConsumerError = String(e.payload.error?.message ?? e.payload.error);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [...g.topics], fromBeginning: true });
      // Offsets committed once a second, not after every batch: commits are bytes in on the
      // coordinators (__consumer_offsets) that no plan moves.
      await consumer.run({ autoCommitInterval: 1000, eachBatch: async ({ batch }) => { c.consumedMessages += batch.messages.length; } });
      c.consumers.push(consumer);
    }
    for (const p of c.producers) p.start();
    return c;
  }

  /** The core producer. */
  producer(clientId: string): TopicProducer {
    return this.producers.find((p) => p.def.producer === clientId)!;
  }

  /** Messages that failed after the client's retries, all producers. */
  get produceErrors(): number {
    return this.producers.reduce((a, p) => a + p.errors, 0);
  }

  /** Stops the producers (sends in flight finish); consumers keep reading until `close`. */
  async stopProducers(): Promise<void> {
    await Promise.all(this.producers.map((p) => p.stop()));
  }

  async close(): Promise<void> {
    await Promise.all(this.producers.map((p) => p.stop()));
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    await Promise.allSettled(this.kafkaProducers.map((p) => p.disconnect()));
  }

  /**
   * Reads every topic from the beginning to its end offsets now (a fresh group) and counts the
   * acknowledged messages not found, and the messages read more than once.
   */
  async readBack(): Promise<{ read: number; acked: number; lost: number; duplicates: number; lostWhere: string[] }> {
    const kafka = this.kafka('bench-readback');
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, number>();
    for (const t of TOPICS) {
      for (const o of await admin.fetchTopicOffsets(t.name)) ends.set(`${t.name}:${o.partition}`, Number(o.high));
    }
    await admin.disconnect();
    const seen = new Map<string, Set<number>>();
    let read = 0;
    let duplicates = 0;
    const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([k]) => k));
    const consumer = kafka.consumer({ groupId: `bench-readback-${Date.now()}`, maxBytes: 8 * 2 ** 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: TOPICS.map((t) => t.name), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`read back: ${remaining.size} partition(s) not read to their end within 90 s`)), 90_000);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const key = `${batch.topic}:${batch.partition}`;
          let set = seen.get(key);
          if (set === undefined) seen.set(key, (set = new Set()));
          for (const m of batch.messages) {
            read++;
            const seq = Number((m.value?.toString('latin1') ?? '').split(':', 3)[2]);
            if (set.has(seq)) duplicates++;
            set.add(seq);
            if (Number(m.offset) + 1 >= ends.get(key)!) remaining.delete(key);
          }
          if (remaining.size === 0) {
            clearTimeout(timeout);
            resolve();
          }
        },
      }).catch(reject);
      if (remaining.size === 0) resolve();
    });
    await consumer.disconnect();
    let acked = 0;
    let lost = 0;
    const lostWhere: string[] = [];
    for (const p of this.producers) {
      p.acked.forEach((set, partition) => {
        const got = seen.get(`${p.def.name}:${partition}`) ?? new Set<number>();
        acked += set.size;
        const missing = [...set].filter((s) => !got.has(s));
        lost += missing.length;
        if (missing.length > 0) lostWhere.push(`${p.def.name}-${partition} seq ${missing.slice(0, 5).join(',')}${missing.length > 5 ? '…' : ''} of ${set.size}`);
      });
    }
    return { read, acked, lost, duplicates, lostWhere };
  }
}

/** The `q` quantile (nearest rank) of the latencies sent in [from, to), ms; null with none. */
export function latencyQuantile(points: readonly LatencyPoint[], from: number, to: number, q: number): { value: number | null; count: number } {
  const ms = points.filter((p) => p.at >= from && p.at < to).map((p) => p.ms).sort((a, b) => a - b);
  if (ms.length === 0) return { value: null, count: 0 };
  return { value: ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!, count: ms.length };
}
