import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { ALERTS, firingAt, random, timeline } from './kill-timeline.ts';
import { DATABASE_URL, freshPgSchema, startServer, waitFor } from './support.ts';

const CHILD = fileURLToPath(new URL('./restart-kill-child.ts', import.meta.url));
const KILLS = 22;
const RULES = `groups:
  - name: chaos
    interval: 250ms
    rules:
      - alert: Chaos
        expr: chaos_up > 0
        labels: { severity: page }
`;

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

interface Notified {
  /** The outbox row (the order the notifier decided them in). */
  readonly row: number;
  readonly key: string;
  readonly groupKey: string;
  readonly firing: readonly string[];
  readonly resolved: readonly { alert: string; endsAt: number }[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether notification `n` tells nothing new given `told`, what its group's notifications so far
 * said of each alert: no alert firing that was not said to fire, none resolved that was said to
 * fire. Inside repeat_interval (1 h here) such a notification is a repeat.
 */
function nothingNew(told: ReadonlyMap<string, 'firing' | 'resolved'>, n: Notified): boolean {
  return n.firing.every((a) => told.get(a) === 'firing') && n.resolved.every((r) => told.get(r.alert) === 'resolved');
}

// SIGKILL must leave every write in a server that outlives the process: PostgreSQL (PGlite's
// data directory does not survive it reliably).
it('pages exactly as without restarts across 22 SIGKILLs while alerts fire, resolve and are being sent', { skip: DATABASE_URL === undefined ? 'needs PostgreSQL (DATABASE_URL is not set): PGlite data directories do not survive SIGKILL reliably' : false, timeout: 170_000 }, async () => {
  const seed = Number(process.env.SLUICE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`restart kill test: seed ${seed} (SLUICE_KILL_SEED=${seed} repeats this run)`);
  const next = random(seed ^ 0x5bd1e995);
  const { db, schema } = await freshPgSchema(cleanup);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-restart-kill-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const ruleFile = join(dir, 'chaos.yaml');
  await writeFile(ruleFile, RULES);

  let child: ChildProcess | undefined;
  let killOnSend = false;
  const kills = { random: 0, midSend: 0, whileFiring: 0, whileResolving: 0 };
  /** When each kill was sent, and when each request arrived. */
  const killedAt: number[] = [];
  const arrivedAt: number[] = [];
  let waitedForLoad = 0;
  const t0 = Date.now();
  const tl = timeline(seed, t0);
  // When everything stops firing: set when the last process starts.
  let offAfter = Number.POSITIVE_INFINITY;
  /** Notes what the timeline was doing at a kill. */
  const noteKill = (now: number): void => {
    killedAt.push(now);
    if (ALERTS.some(({ alert }) => firingAt(tl, alert, now))) kills.whileFiring++;
    if (ALERTS.some(({ alert }) => firingAt(tl, alert, now - 3000) && !firingAt(tl, alert, now))) kills.whileResolving++;
  };
  const server = await startServer(() => {
    arrivedAt.push(Date.now());
    if (killOnSend && child !== undefined) {
      // The receiver has the notification; the sender dies before it hears so or marks the row sent.
      killOnSend = false;
      kills.midSend++;
      noteKill(Date.now());
      child.kill('SIGKILL');
    }
    return 200;
  });
  cleanup.push(() => server.close());

  /** A service process with its modules loaded, waiting to be told to start. */
  interface Warm {
    readonly proc: ChildProcess;
    readonly exited: Promise<NodeJS.Signals | null>;
    output(): string;
  }
  function warm(): Warm {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, DATABASE_URL!, schema, `${server.url}/hook`, ruleFile, String(seed), String(t0)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    cleanup.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    });
    return { proc, exited, output: () => out };
  }
  async function go(w: Warm, offAfter?: number): Promise<Warm> {
    const waiting = Date.now();
    await waitFor(() => w.output().includes('loaded\n') || w.proc.exitCode !== null, 'the service to load', 60_000);
    waitedForLoad += Date.now() - waiting;
    child = w.proc;
    w.proc.stdin!.write(`go ${offAfter === undefined ? 'never' : Math.round(offAfter)}\n`);
    await waitFor(() => w.output().includes('ready\n') || w.proc.exitCode !== null, 'the service to start', 30_000);
    assert.equal(w.output(), 'loaded\nready\n', 'the service started');
    return w;
  }

  // Kill phase: up to 1.5 s of service, then SIGKILL, at a random moment or on a delivery; the
  // next process starts after up to 1.2 s (within the rules engine's resend delay of 2 s, so
  // that it resends some alerts of a group before others). Two processes load ahead, so that
  // loading does not set the pace.
  let killed = 0;
  const upcoming = [warm(), warm()];
  while (killed < KILLS) {
    const { proc, exited } = await go(upcoming.shift()!);
    upcoming.push(warm());
    if (next() < 0.3) {
      killOnSend = true;
      await Promise.race([exited, sleep(2000)]);
      killOnSend = false;
    }
    if (proc.signalCode === null) {
      await sleep(100 + next() * 1400);
      kills.random++;
      noteKill(Date.now());
      proc.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');
    killed++;
    await sleep(next() * 1200);
  }

  // Last run: everything resolves 1.5 s in, and the service gets time to say so.
  offAfter = Date.now() + 1500;
  const last = await go(upcoming.shift()!, offAfter);
  const pending = async (): Promise<number> => (await db.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM notify_outbox WHERE status <> 'sent'`)).rows[0]!.n;
  await waitFor(async () => Date.now() > offAfter + 3500 && (await pending()) === 0, 'every notification to be sent', 30_000);
  // Two more group_intervals: nothing further may come.
  await sleep(4200);
  last.proc.kill('SIGKILL');
  await last.exited;

  // What the receiver got, once per notification (a row delivered just before its sender was
  // killed comes again, with the same Idempotency-Key), in the order the notifier decided them.
  const seen = new Set<string>();
  const firstBody = new Map<string, string>();
  let redelivered = 0;
  const notified: Notified[] = [];
  const lastArrival = new Map<string, number>();
  for (const [i, r] of server.requests.entries()) {
    const key = r.headers['idempotency-key'];
    assert.equal(typeof key, 'string', 'every notification carries an Idempotency-Key');
    if (seen.has(key as string)) {
      assert.equal(r.body, firstBody.get(key as string), `a redelivery of ${key as string} is the same notification`);
      // Only a kill after a process sent a notification and before it marked the row sent repeats
      // it. The kill may come first to this process's eyes while the request is still in flight:
      // a second is allowed for that.
      const before = lastArrival.get(key as string)! - 1000;
      assert.ok(killedAt.some((t) => t >= before && t <= arrivedAt[i]!), `notification ${key as string} delivered again at ${arrivedAt[i]} without a kill since ${before}`);
      lastArrival.set(key as string, arrivedAt[i]!);
      redelivered++;
      continue;
    }
    seen.add(key as string);
    firstBody.set(key as string, r.body);
    lastArrival.set(key as string, arrivedAt[i]!);
    const body = JSON.parse(r.body) as { groupKey: string; alerts: { status: string; endsAt: string; labels: Record<string, string> }[] };
    notified.push({
      row: Number((key as string).split('-')[1]),
      key: key as string,
      groupKey: body.groupKey,
      firing: body.alerts.filter((a) => a.status === 'firing').map((a) => a.labels.alert!).sort(),
      resolved: body.alerts.filter((a) => a.status === 'resolved').map((a) => ({ alert: a.labels.alert!, endsAt: Date.parse(a.endsAt) })),
    });
  }
  notified.sort((a, b) => a.row - b.row);

  // When the notifier decided each notification (its outbox row's creation).
  const decided = new Map((await db.query<{ id: number; at: number }>(`SELECT id::int4 AS id, (extract(epoch from created_at) * 1000)::float8 AS at FROM notify_outbox`)).rows.map((r) => [r.id, Number(r.at)]));
  const repeated: string[] = [];
  const early: string[] = [];
  const premature: string[] = [];
  const stillFiring: string[] = [];
  for (const groupKey of new Set(notified.map((n) => n.groupKey))) {
    const list = notified.filter((n) => n.groupKey === groupKey);
    const told = new Map<string, 'firing' | 'resolved'>();
    list.forEach((cur, i) => {
      const prev = list[i - 1];
      if (nothingNew(told, cur)) repeated.push(`${groupKey}: row ${cur.row} (firing [${cur.firing}], resolved [${cur.resolved.map((r) => r.alert)}]) tells nothing new`);
      for (const a of cur.firing) told.set(a, 'firing');
      for (const r of cur.resolved) told.set(r.alert, 'resolved');
      // group_interval (2 s) between two notifications of a group, or group_wait (1 s) when the
      // earlier one resolved the group (which then ends); 0.5 s allowed for the outbox write.
      const gap = prev === undefined ? Number.POSITIVE_INFINITY : decided.get(cur.row)! - decided.get(prev.row)!;
      if (gap < (prev?.firing.length === 0 ? 1000 : 2000) - 500) early.push(`${groupKey}: row ${cur.row} ${gap} ms after row ${prev!.row}`);
      // A resolved alert was found resolved by the rules engine: the timeline had it off then.
      for (const r of cur.resolved) if (firingAt(tl, r.alert, r.endsAt, offAfter)) premature.push(`${groupKey}: row ${cur.row} resolves ${r.alert} at ${new Date(r.endsAt).toISOString()} while it fires`);
    });
    // Nothing lost: each alert ever notified firing was last notified resolved.
    for (const [alert, word] of told) if (word === 'firing') stillFiring.push(`${groupKey}: ${alert}`);
  }
  const firingEpisodes = notified.reduce((n, x) => n + x.firing.length, 0);
  console.log(`restart kill test: ${killed} SIGKILLs (${kills.random} at random, ${kills.midSend} mid-send; ${kills.whileFiring} while an alert fired, ${kills.whileResolving} within 3 s of a resolution) in ${((Date.now() - t0) / 1000).toFixed(1)} s (${(waitedForLoad / 1000).toFixed(1)} s of it waiting for a process to load)`);
  console.log(`restart kill test: ${notified.length} notifications (${firingEpisodes} firing alert listings), ${redelivered} redelivered with the same Idempotency-Key, ${repeated.length} repeated inside repeat_interval, ${early.length} inside group_interval, ${premature.length} premature resolved, ${stillFiring.length} resolutions lost`);
  assert.deepEqual(repeated, []);
  assert.deepEqual(early, []);
  assert.deepEqual(premature, []);
  assert.deepEqual(stillFiring, []);
  assert.equal(await pending(), 0);
  assert.equal(killed, KILLS);
  assert.ok(notified.length >= 10, `the alerts were notified (${notified.length} notifications)`);
});
