/**
 * Drives kcat (librdkafka) as a child process: produce a list of messages from a delimited
 * file, read messages back in a length-prefixed output format that survives binary bytes, and
 * run long-lived balanced-consumer (`-G`) members whose assignment is read from stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Header, ReceivedMessage, TestMessage } from './broker.ts';

/** The kcat binary; KCAT overrides it. */
export const KCAT = process.env.KCAT ?? '/usr/bin/kcat';

/** Message delimiter of produced input files: three RS bytes, never inside keys or values. */
const MESSAGE_DELIMITER = Buffer.from([0x1e, 0x1e, 0x1e]);
/** Key delimiter of produced input files: three US bytes. */
const KEY_DELIMITER = Buffer.from([0x1f, 0x1f, 0x1f]);

/**
 * Output format for consumed messages. Lengths come first so that binary keys and values (even
 * with newlines) are read back exactly: `#M <partition> <offset> <keylen> <valuelen>\n`, the key
 * and value bytes, `\n`, the headers as `n=v,n=v`, `\n`.
 */
export const KCAT_FORMAT = '#M %p %o %K %S\\n%k%s\\n%h\\n';

/** How a finished kcat run ended. */
export interface KcatResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs kcat to completion; rejects if it has not exited after `timeoutMs` (it is then killed). */
export function runKcat(args: readonly string[], timeoutMs: number, input?: Buffer): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** Options of kcatProduce. */
export interface KcatProduceOptions {
  /** compression.codec: none, gzip, snappy, lz4 or zstd. */
  readonly compression?: string;
  /** Headers set on every message (kcat's `-H` cannot vary per message). */
  readonly headers?: readonly Header[];
  /** Only this partition (`-p`); default: librdkafka's partitioner on the key. */
  readonly partition?: number;
  /** More `-X prop=value` settings or other flags. */
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * Produces `messages` with `kcat -P` from a delimited file, in order, waiting for every delivery
 * report; throws with kcat's stderr if kcat exits non-zero.
 */
export async function kcatProduce(
  bootstrap: string,
  topic: string,
  messages: readonly TestMessage[],
  options: KcatProduceOptions = {},
): Promise<KcatResult> {
  const parts: Buffer[] = [];
  for (const m of messages) {
    if (m.key.includes(KEY_DELIMITER) || m.value.includes(MESSAGE_DELIMITER) || m.value.includes(KEY_DELIMITER)) {
      throw new Error(`message ${m.seq} contains a kcat delimiter`);
    }
    parts.push(m.key, KEY_DELIMITER, m.value, MESSAGE_DELIMITER);
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kcat-'));
  const file = join(dir, 'messages.bin');
  try {
    await writeFile(file, Buffer.concat(parts));
    const args = [
      '-b', bootstrap, '-P', '-t', topic,
      '-K', '\\x1f\\x1f\\x1f', '-D', '\\x1e\\x1e\\x1e',
      '-X', `compression.codec=${options.compression ?? 'none'}`,
      '-X', 'linger.ms=5',
      '-X', 'message.timeout.ms=20000',
      ...(options.headers ?? []).flatMap(([name, value]) => ['-H', `${name}=${value.toString('latin1')}`]),
      ...(options.partition === undefined ? [] : ['-p', String(options.partition)]),
      ...(options.extraArgs ?? []),
      '-l', file,
    ];
    const result = await runKcat(args, options.timeoutMs ?? 30_000);
    if (result.code !== 0) {
      throw new Error(`kcat -P exited with ${result.code ?? result.signal}; stderr:\n${result.stderr}`);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Incremental parser of KCAT_FORMAT output. */
export class KcatOutputParser {
  #buffer: Buffer = Buffer.alloc(0);

  /** Adds a chunk of kcat stdout and returns the messages it completed. */
  push(chunk: Buffer): ReceivedMessage[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const messages: ReceivedMessage[] = [];
    for (;;) {
      const parsed = this.#parseOne();
      if (parsed === undefined) break;
      messages.push(parsed);
    }
    return messages;
  }

  /** Throws if output ended in the middle of a message. */
  end(): void {
    if (this.#buffer.length > 0) {
      throw new Error(`kcat output ended inside a message: ${JSON.stringify(this.#buffer.toString('latin1'))}`);
    }
  }

  #parseOne(): ReceivedMessage | undefined {
    const buf = this.#buffer;
    const lineEnd = buf.indexOf(0x0a);
    if (lineEnd < 0) return undefined;
    const line = buf.subarray(0, lineEnd).toString('latin1');
    const match = /^#M (-?\d+) (-?\d+) (-?\d+) (-?\d+)$/.exec(line);
    if (match === null) throw new Error(`unexpected kcat output line: ${JSON.stringify(line)}`);
    const keyLength = Number(match[3]);
    const valueLength = Number(match[4]);
    let at = lineEnd + 1;
    const keyEnd = at + Math.max(keyLength, 0);
    const valueEnd = keyEnd + Math.max(valueLength, 0);
    if (buf.length < valueEnd + 1) return undefined;
    if (buf[valueEnd] !== 0x0a) throw new Error(`kcat output: no newline after the value at offset ${match[2]}`);
    const headersEnd = buf.indexOf(0x0a, valueEnd + 1);
    if (headersEnd < 0) return undefined;
    const message: ReceivedMessage = {
      partition: Number(match[1]),
      offset: BigInt(match[2] as string),
      key: keyLength < 0 ? null : Buffer.from(buf.subarray(at, keyEnd)),
      value: valueLength < 0 ? null : Buffer.from(buf.subarray(keyEnd, valueEnd)),
      headers: parseHeaders(buf.subarray(valueEnd + 1, headersEnd).toString('latin1')),
    };
    at = headersEnd + 1;
    this.#buffer = buf.subarray(at);
    return message;
  }
}

/** Parses kcat's `%h` (`n=v,n=v`); header values must not contain `,` or newlines. */
function parseHeaders(text: string): Header[] {
  if (text === '') return [];
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error(`kcat header without '=': ${JSON.stringify(pair)}`);
    return [pair.slice(0, eq), Buffer.from(pair.slice(eq + 1), 'latin1')] as const;
  });
}

/** Parses all of a finished kcat run's stdout in KCAT_FORMAT. */
export function parseKcatOutput(stdout: Buffer): ReceivedMessage[] {
  const parser = new KcatOutputParser();
  const messages = parser.push(stdout);
  parser.end();
  return messages;
}

/**
 * Settings that make librdkafka's group member react within a few hundred milliseconds.
 * Not auto.commit.interval.ms: kcat sets a `-X` property at topic level when one of that name
 * exists there, and the topic-level auto.commit.interval.ms is a legacy one the group consumer
 * ignores, so members auto-commit every 5 s and otherwise on revoke and on close.
 */
export const KCAT_FAST_GROUP_ARGS: readonly string[] = [
  '-X', 'auto.offset.reset=earliest',
  '-X', 'heartbeat.interval.ms=300',
  '-X', 'session.timeout.ms=10000',
  '-X', 'fetch.wait.max.ms=100',
];

/**
 * A running `kcat -G` balanced-consumer member. It collects the messages it prints and follows
 * its assignment from kcat's "Group ... rebalanced ... assigned:/revoked:" stderr lines.
 */
export class KcatGroupMember {
  readonly messages: ReceivedMessage[] = [];
  /** Partitions currently assigned, sorted; empty before the first assignment. */
  assignment: number[] = [];
  /** How many assignments this member has received. */
  assignments = 0;
  stderr = '';
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #stderrLine = '';

  constructor(bootstrap: string, group: string, topic: string, extraArgs: readonly string[] = []) {
    const args = ['-b', bootstrap, '-G', group, '-u', '-f', KCAT_FORMAT, ...KCAT_FAST_GROUP_ARGS, ...extraArgs, topic];
    const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const parser = new KcatOutputParser();
    child.stdout?.on('data', (chunk: Buffer) => this.messages.push(...parser.push(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => this.#onStderr(chunk.toString('utf8')));
    this.#exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
  }

  /** True while kcat runs. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends SIGTERM (kcat then commits, leaves the group and exits) and waits for the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.#exited;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #onStderr(text: string): void {
    this.stderr += text;
    const lines = (this.#stderrLine + text).split('\n');
    this.#stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      const assigned = /rebalanced \(memberid [^)]*\): assigned: (.*)$/.exec(line);
      if (assigned !== null) {
        this.assignment = [...(assigned[1] as string).matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
        this.assignments++;
      } else if (/rebalanced \(memberid [^)]*\): revoked:/.test(line)) {
        this.assignment = [];
      }
    }
  }
}
