/**
 * The moving parts of the fault campaign (bench/faults.bench.ts): `sluice start` as a child
 * process that can be SIGKILLed and started again, a /healthz prober that measures stalls, and a
 * webhook receiver that records every notification as it arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The checkout, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One `sluice start` process: its output kept whole, for the leak check. */
export class SluiceProcess {
  private child: ChildProcess | undefined;
  /** Everything every run printed, stdout and stderr. */
  output = '';
  /** [start, end) of each run, ms since the epoch; end undefined while running. */
  readonly runs: { start: number; end?: number; killed: boolean }[] = [];

  constructor(private readonly args: readonly string[], private readonly env: NodeJS.ProcessEnv = {}) {}

  /** Starts a run (does not wait for it to be ready). */
  start(): void {
    // Run from elsewhere than the checkout, so that a path shown relative to the working
    // directory cannot pass for one that hides the server's layout.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${ROOT}src/cli/main.ts`, ...this.args], {
      cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...this.env },
    });
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const run: { start: number; end?: number; killed: boolean } = { start: Date.now(), killed: false };
    this.runs.push(run);
    child.on('exit', () => (run.end ??= Date.now()));
    this.child = child;
  }

  /** SIGKILL: no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.runs.at(-1)!.killed = true;
    this.runs.at(-1)!.end = Date.now();
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    return code;
  }

  /** Waits for the run to end on its own; resolves with its exit code. */
  async exited(timeoutMs: number): Promise<number | null> {
    const child = this.child!;
    if (child.exitCode !== null) return child.exitCode;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return code;
  }
}

/**
 * Polls /healthz every `everyMs` while `active()` says Sluice should be up, and keeps the
 * longest time between asking and being answered (a request still unanswered counts as it ages).
 */
export class HealthProber {
  longestMs = 0;
  longestAt = 0;
  answered = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: number | undefined;

  constructor(private readonly url: () => string | undefined, private readonly everyMs = 100) {}

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Ignore the request in flight (Sluice is being killed or restarted). */
  forget(): void {
    this.inFlight = undefined;
  }

  private async probe(): Promise<void> {
    const url = this.url();
    if (url === undefined) return;
    if (this.inFlight !== undefined) {
      this.note(Date.now() - this.inFlight);
      return;
    }
    const asked = Date.now();
    this.inFlight = asked;
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(600_000) });
      await res.arrayBuffer();
      if (this.inFlight === asked && res.ok) {
        this.answered++;
        this.note(Date.now() - asked);
      }
    } catch {
      // Refused while Sluice restarts: not a stall of a running process.
    } finally {
      if (this.inFlight === asked) this.inFlight = undefined;
    }
  }

  private note(ms: number): void {
    if (ms > this.longestMs) {
      this.longestMs = ms;
      this.longestAt = Date.now();
    }
  }
}

/** One alert of a webhook notification. */
export interface ReceivedAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly fingerprint: string;
}

/** One webhook notification as it arrived. */
export interface Received {
  readonly at: number;
  readonly groupKey: string;
  readonly status: string;
  readonly alerts: readonly ReceivedAlert[];
}

/** A webhook endpoint that answers 200 and records every notification. */
export class WebhookLog {
  readonly received: Received[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<WebhookLog> {
    const log: { value?: WebhookLog } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          const p = JSON.parse(body) as { groupKey: string; status: string; alerts: ReceivedAlert[] };
          log.value!.received.push({ at: Date.now(), groupKey: p.groupKey, status: p.status, alerts: p.alerts.map((a) => ({ status: a.status, labels: a.labels, fingerprint: a.fingerprint })) });
        } catch {
          // A body that is not a notification is not counted.
        }
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    log.value = new WebhookLog(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return log.value;
  }

  /** Notifications that named alert `name` with `status`, optionally only those whose labels include `match`. */
  find(name: string, status: 'firing' | 'resolved', match: Record<string, string> = {}): Received[] {
    return this.received.filter((r) => r.alerts.some((a) => a.status === status && a.labels.alertname === name && Object.entries(match).every(([k, v]) => a.labels[k] === v)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 250 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // Not yet.
    }
    await sleep(250);
  }
  return false;
}
