/**
 * Throughput of the bundled broker with 1 KiB messages: produce then consume through kcat
 * (librdkafka) and through @platformatic/kafka, in msgs/s and MiB/s. The broker runs in its own
 * process (`sluice broker --port 0 --topics bench:8`) so that clients do not share its event loop.
 *
 *   npm run bench:broker                               # 500,000 messages per client
 *   SLUICE_BENCH_MESSAGES=100000 npm run bench:broker
 *
 * Goal: ≥ 100,000 msgs/s produced on 2 cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Consumer, ProduceAcks, Producer, type Message } from '@platformatic/kafka';

const MESSAGES = Number(process.env.SLUICE_BENCH_MESSAGES ?? 500_000);
const MESSAGE_BYTES = 1024;
const TOPIC = 'bench';
const PARTITIONS = 8;
const GOAL_MSGS_PER_S = 100_000;
const KCAT = process.env.KCAT ?? '/usr/bin/kcat';
const ROOT = resolve(import.meta.dirname, '..');

/** One measured phase. */
interface Figure {
  readonly client: string;
  readonly phase: 'produce' | 'consume';
  readonly messages: number;
  readonly seconds: number;
}

/** Starts `sluice broker` in a child process and resolves with it and its bootstrap address. */
async function startBrokerProcess(): Promise<{ child: ChildProcess; bootstrap: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'broker', '--port', '0', '--topics', `${TOPIC}:${PARTITIONS}`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const bootstrap = await new Promise<string>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`broker did not report its port within 20 s:\n${stderr}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /sluice broker listening on (\S+):(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolvePort(`${match[1]}:${match[2]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening:\n${stderr}`));
    });
  });
  return { child, bootstrap };
}

/** Writes `count` lines of MESSAGE_BYTES printable bytes each (plus the newline). */
async function writeMessageFile(path: string, count: number): Promise<void> {
  const alphabet = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  const pool = Buffer.alloc(64 * 1024);
  let state = 2463534242;
  for (let i = 0; i < pool.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pool[i] = alphabet[(state >>> 0) % alphabet.length] as number;
  }
  const out = createWriteStream(path);
  const linesPerChunk = 4096;
  for (let first = 0; first < count; first += linesPerChunk) {
    const lines = Math.min(linesPerChunk, count - first);
    const chunk = Buffer.alloc(lines * (MESSAGE_BYTES + 1));
    for (let i = 0; i < lines; i++) {
      const at = i * (MESSAGE_BYTES + 1);
      const from = ((first + i) * 7919) % (pool.length - MESSAGE_BYTES);
      pool.copy(chunk, at, from, from + MESSAGE_BYTES);
      chunk.write(String(first + i).padStart(10, '0'), at, 'latin1');
      chunk[at + MESSAGE_BYTES] = 0x0a;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs kcat to completion, returning its stdout line count; throws on a non-zero exit. */
function kcat(args: readonly string[]): Promise<number> {
  return new Promise((resolveLines, reject) => {
    const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveLines(lines) : reject(new Error(`kcat exited with ${code}:\n${stderr}`))));
  });
}

async function kcatProduce(bootstrap: string, file: string): Promise<Figure> {
  const start = performance.now();
  await kcat([
    '-b', bootstrap, '-P', '-t', TOPIC, '-l', file,
    '-X', 'acks=1',
    '-X', 'linger.ms=5',
    '-X', 'batch.num.messages=10000',
    '-X', 'batch.size=1000000',
    '-X', 'queue.buffering.max.messages=1000000',
    '-X', 'queue.buffering.max.kbytes=2097152',
    '-X', 'compression.codec=none',
  ]);
  return { client: 'kcat', phase: 'produce', messages: MESSAGES, seconds: (performance.now() - start) / 1000 };
}

async function kcatConsume(bootstrap: string, expected: number): Promise<Figure> {
  const start = performance.now();
  const lines = await kcat([
    '-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%o\\n',
    '-X', 'fetch.max.bytes=52428800',
    '-X', 'queued.max.messages.kbytes=1048576',
  ]);
  if (lines !== expected) throw new Error(`kcat read ${lines} messages, expected ${expected}`);
  return { client: 'kcat', phase: 'consume', messages: lines, seconds: (performance.now() - start) / 1000 };
}

async function platformaticProduce(bootstrap: string): Promise<Figure> {
  const producer = new Producer({ clientId: 'sluice-bench', bootstrapBrokers: [bootstrap], acks: ProduceAcks.LEADER });
  const value = Buffer.alloc(MESSAGE_BYTES, 'x');
  const batchSize = 1000;
  const inFlight = 8;
  let next = 0;
  try {
    // Metadata first, so that its round trip is not timed.
    await producer.metadata({ topics: [TOPIC] });
    const started = performance.now();
    const worker = async () => {
      while (next < MESSAGES) {
        const first = next;
        next = Math.min(next + batchSize, MESSAGES);
        const messages = [];
        for (let i = first; i < next; i++) messages.push({ topic: TOPIC, partition: i % PARTITIONS, value });
        await producer.send({ messages });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return { client: '@platformatic/kafka', phase: 'produce', messages: MESSAGES, seconds: (performance.now() - started) / 1000 };
  } finally {
    await producer.close();
  }
}

async function platformaticConsume(bootstrap: string, from: Map<number, bigint>, expected: number): Promise<Figure> {
  const consumer = new Consumer({
    clientId: 'sluice-bench',
    bootstrapBrokers: [bootstrap],
    groupId: 'sluice-bench',
    autocommit: false,
    maxWaitTime: 100,
    maxBytes: 50 * 1024 * 1024,
    maxBytesPerPartition: 10 * 1024 * 1024,
  });
  try {
    const start = performance.now();
    const stream = await consumer.consume({
      topics: [TOPIC],
      mode: 'manual',
      offsets: [...from].map(([partition, offset]) => ({ topic: TOPIC, partition, offset })),
      autocommit: false,
    });
    let count = 0;
    await new Promise<void>((done, reject) => {
      stream.on('data', (_m: Message) => {
        if (++count === expected) done();
      });
      stream.on('error', reject);
    });
    const seconds = (performance.now() - start) / 1000;
    await stream.close();
    return { client: '@platformatic/kafka', phase: 'consume', messages: count, seconds };
  } finally {
    await consumer.close();
  }
}

/** End offsets of every partition of TOPIC. */
async function endOffsets(bootstrap: string): Promise<Map<number, bigint>> {
  const consumer = new Consumer({ clientId: 'sluice-bench', bootstrapBrokers: [bootstrap], groupId: 'sluice-bench-offsets' });
  try {
    const offsets = (await consumer.listOffsets({ topics: [TOPIC] })).get(TOPIC) ?? [];
    return new Map(offsets.map((offset, partition) => [partition, offset]));
  } finally {
    await consumer.close();
  }
}

function report(figures: readonly Figure[]): void {
  const rows = figures.map((f) => {
    const perSecond = f.messages / f.seconds;
    return [
      f.client,
      f.phase,
      f.messages.toLocaleString('en-US'),
      f.seconds.toFixed(2),
      Math.round(perSecond).toLocaleString('en-US'),
      ((perSecond * MESSAGE_BYTES) / (1024 * 1024)).toFixed(1),
    ];
  });
  const header = ['client', 'phase', 'messages', 'seconds', 'msgs/s', 'MiB/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const f of figures.filter((x) => x.phase === 'produce')) {
    const rate = f.messages / f.seconds;
    const verdict = rate >= GOAL_MSGS_PER_S ? 'met' : 'NOT met';
    console.log(`goal ≥ ${GOAL_MSGS_PER_S.toLocaleString('en-US')} msgs/s produce: ${verdict} by ${f.client} (${Math.round(rate).toLocaleString('en-US')} msgs/s)`);
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Sluice bundled broker benchmark: ${MESSAGES.toLocaleString('en-US')} messages of ${MESSAGE_BYTES} bytes per client, topic ${TOPIC} (${PARTITIONS} partitions)`);
  console.log(`Goal: ≥ ${GOAL_MSGS_PER_S.toLocaleString('en-US')} msgs/s produce on 2 cores. This machine: ${availableParallelism()} cores, ${cpu}, Node ${process.version}`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const file = join(dir, 'messages.txt');
  const { child, bootstrap } = await startBrokerProcess();
  console.log(`broker pid ${child.pid} on ${bootstrap}\n`);
  const figures: Figure[] = [];
  try {
    await writeMessageFile(file, MESSAGES);
    figures.push(await kcatProduce(bootstrap, file));
    figures.push(await kcatConsume(bootstrap, MESSAGES));
    const before = await endOffsets(bootstrap);
    figures.push(await platformaticProduce(bootstrap));
    figures.push(await platformaticConsume(bootstrap, before, MESSAGES));
  } finally {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  report(figures);
}

await main();
