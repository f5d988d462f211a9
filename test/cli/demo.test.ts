/**
 * `sluice demo` as a user runs it: bin/sluice.js in a child process (free ports, embedded PGlite),
 * the whole story on the bundled cluster over real sockets. Within 60 s the API is ready; the
 * status page, loaded in headless Chromium, shows three brokers; within the first act an alert
 * fires and a quota decision is recorded, and the page, the status line, the mailbox and the
 * webhook log all show them; SIGINT stops everything and the process exits 0 leaving no child
 * process behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { launchChromium, NO_CHROMIUM, type Browser } from '../helpers/chromium.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_BUDGET_MS = 60_000;
/** The first act lasts 90 s of story time; its burst starts at 15 s. */
const FIRST_ACT_MS = 90_000;

/** Output of the child so far, and a way to wait for a line. */
function collect(child: ChildProcess) {
  const out = { stdout: '', stderr: '' };
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out.stdout += text;
    for (const w of [...waiters]) {
      const m = w.re.exec(out.stdout);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => void (out.stderr += text));
  const line = (re: RegExp, ms: number, what: string): Promise<RegExpExecArray> => {
    const m = re.exec(out.stdout);
    if (m !== null) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout:\n${out.stdout}\nstderr:\n${out.stderr.slice(-3000)}`)), ms);
      waiters.push({ re, resolve: (x) => { clearTimeout(timer); resolve(x); } });
    });
  };
  return { out, line };
}

/** Process ids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** Whether `pid` is still running: a zombie (exited, not yet reaped by whoever adopted it) is not. */
function alive(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state ...", and comm may itself hold ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The processes of `pids` still running after up to `ms`. The child the TypeScript loader keeps
 * (esbuild's service) ends when its stdin closes, which is when the demo exits: it is given a
 * moment to notice.
 */
async function survivors(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('sluice demo (child process, the story)', () => {
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let dir: string | undefined;
  after(async () => {
    await browser?.close();
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('ready within 60 s; the page shows three brokers, then the first act\'s alert and quota decision; SIGINT exits 0 with nothing left running', { skip: NO_CHROMIUM }, async (t) => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-demo-test-'));
    const { DATABASE_URL: _db, ...env } = process.env;
    const startedAt = Date.now();
    child = spawn(process.execPath, [
      join(ROOT, 'bin/sluice.js'), 'demo', '--port', '0', '--metrics-port', '0', '--control-port', '0', '--api-port', '0', '--status-interval', '1', '--out-dir', dir,
    ], { cwd: ROOT, env: { ...env, SLUICE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const { out, line } = collect(child);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));

    const api = (await line(/^  status page: (http:\/\/127\.0\.0\.1:\d+)\/$/m, READY_BUDGET_MS, 'the status page URL'))[1]!;
    let ready = 0;
    while (ready !== 200) {
      assert.ok(Date.now() - startedAt < READY_BUDGET_MS, `/readyz answered ${ready} after ${READY_BUDGET_MS} ms`);
      ready = (await fetch(`${api}/readyz`).catch(() => ({ status: 0 }))).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    const readyAfter = Date.now() - startedAt;
    t.diagnostic(`/readyz 200 after ${readyAfter} ms`);
    assert.match(out.stdout, /^  workload:   demo-story \(.*fixtures\/workloads\/demo-story\.yaml\)$/m);
    assert.match(out.stdout, /^  database:   PGlite \(in memory; data is lost at exit\)$/m);
    assert.match(out.stdout, /^  collectors: cluster "demo", every 2s; quota loop in auto, every 5s$/m);
    assert.ok(out.stdout.includes(`  mailbox:    ${join(dir, 'mailbox.mbox')}  (mbox; SMTP at 127.0.0.1:`), out.stdout);
    assert.ok(out.stdout.includes(`  webhooks:   ${join(dir, 'webhook.jsonl')}  (JSON lines; posted to http://127.0.0.1:`), out.stdout);
    await line(/^▶ act 1\/4: a noisy producer \(0s–90s\); watch for /m, 10_000, 'act 1 to begin');
    const storyAt = Date.now();

    browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${api}/`);
    await page.waitForFunction(() => document.querySelector('[data-cluster="demo"] [data-role="brokers-up"]')?.textContent === '3/3 brokers up', undefined, { timeout: 30_000, polling: 500 });
    assert.deepEqual(await page.$$eval('[data-cluster="demo"] .broker', (cards) => cards.map((c) => (c as HTMLElement).dataset.broker)), ['0', '1', '2']);
    t.diagnostic(`the page showed 3/3 brokers up ${Date.now() - startedAt} ms after start`);

    // The first act: clickstream bursts at 15 s; Sluice alerts on the topic and limits it.
    const actLeft = FIRST_ACT_MS - (Date.now() - storyAt);
    await page.waitForSelector('#alerts li[data-alert="KafkaTopicTrafficSpike"]', { timeout: actLeft, state: 'attached' });
    const alertAt = Date.now() - storyAt;
    await page.waitForSelector('#decisions tr.decision', { timeout: FIRST_ACT_MS - (Date.now() - storyAt), state: 'attached' });
    const decisionAt = Date.now() - storyAt;
    t.diagnostic(`the page showed the spike alert ${alertAt} ms and the first decision ${decisionAt} ms into the story`);
    // Newest first: the last row is the first decision.
    const decision = await page.$$eval('#decisions tr.decision', (rows) => [...rows.at(-1)!.querySelectorAll('td')].slice(1).map((td) => td.textContent!));
    assert.deepEqual(decision.slice(0, 3), ['demo', 'client-id=clickstream', 'producer_byte_rate']);
    assert.match(decision[3]!, /^unset → \d+(\.\d)? KiB\/s$/);
    assert.equal(decision[4], 'applied by sluice (auto)');
    assert.match(decision[5]!, /^(overloaded|pressured): demand \d+ B\/s \((measured|inferred)\) over its general allocation \d+ B\/s of \d+ B\/s per broker \(network in of broker \d+\)$/);
    assert.match(await page.textContent('#alerts li[data-alert="KafkaTopicTrafficSpike"]') ?? '', /^KafkaTopicTrafficSpike \(warning\) since .*: Topic clicks on demo receives [\d.]+[kM]iB\/s, over 3 times its usual rate$/);
    // The page says what the loop's last round did, or why it did nothing, in the loop's own words.
    assert.match(await page.textContent('[data-cluster="demo"] [data-role="throttle-explanation"]') ?? '', /^Last round: (headroom|steady|pressured|overloaded)(: |, but no change)/);
    // Once limited, clickstream's traffic is tagged by its quota entity: still one client on the page.
    await page.waitForTimeout(3500);
    assert.deepEqual(await page.$$eval('[data-cluster="demo"] .client[data-client="clickstream"]', (cards) => cards.map((c) => (c as HTMLElement).dataset.direction)), ['produce']);
    assert.deepEqual(errors, []);
    // Hosts are collected from the brokers' node_exporter series: the hosts board has data.
    const metrics = await (await fetch(`${api}/metrics`)).text();
    const hostSamples = /^sluice_collector_samples_total\{[^}]*collector="host"[^}]*\} (\d+)$/m.exec(metrics);
    assert.ok(hostSamples !== null && Number(hostSamples[1]) > 0, metrics.split('\n').filter((l) => l.startsWith('sluice_collector_samples_total')).join('\n'));

    // The status line tells the same, and the core producers were left alone.
    await line(/^sluice demo: \d+s act 1\/4 a noisy producer: 3\/3 brokers up, \d+ clients, \d+ alerts? firing( \([A-Za-z, ]+\))?, last decision at \d+s: client-id=clickstream producer_byte_rate (unset|[\d.]+ KiB\/s) → ([\d.]+ KiB\/s|unset) \(applied\)$/m, 10_000, 'the status line with the decision');
    const decisions = (await (await fetch(`${api}/api/v1/throttle/decisions?limit=500`)).json()) as { decisions: { entityKey: string; status: string }[] };
    assert.deepEqual(decisions.decisions.filter((d) => d.entityKey.includes('core-') && d.status !== 'skipped'), []);
    // The notifications went to the local mailbox and the webhook log.
    const until = Date.now() + 15_000;
    let mailbox = '';
    let hooks = '';
    while (Date.now() < until && !(mailbox.includes('Subject: [FIRING:1] KafkaTopicTrafficSpike') && hooks.includes('"alertname":"KafkaTopicTrafficSpike"'))) {
      await new Promise((r) => setTimeout(r, 250));
      mailbox = await readFile(join(dir, 'mailbox.mbox'), 'utf8');
      hooks = await readFile(join(dir, 'webhook.jsonl'), 'utf8');
    }
    assert.match(mailbox, /^From sluice@sluice\.demo \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nFrom: sluice@sluice\.demo\nTo: oncall@sluice\.demo\nSubject: \[FIRING:1\] KafkaTopicTrafficSpike demo /m);
    // Other alerts may come first (a consumer that falls behind the burst on a busy machine pages
    // too): every line is a delivery to /hook, and the spike's is among them.
    const delivered = hooks.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { path: string; payload: { status: string; receiver: string; groupLabels: Record<string, string> } });
    assert.deepEqual([...new Set(delivered.map((h) => h.path))], ['/hook']);
    const spike = delivered.find((h) => h.payload.groupLabels['alertname'] === 'KafkaTopicTrafficSpike');
    assert.deepEqual([spike?.payload.status, spike?.payload.receiver, spike?.payload.groupLabels], ['firing', 'oncall', { alertname: 'KafkaTopicTrafficSpike', cluster: 'demo' }]);

    await browser.close();
    browser = undefined;
    const helpers = childrenOf(child.pid!);
    const stopAt = Date.now();
    child.kill('SIGINT');
    const { code, signal } = await exited;
    t.diagnostic(`stopped ${Date.now() - stopAt} ms after SIGINT`);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, out.stderr.slice(-3000));
    assert.ok(out.stdout.endsWith(`sluice demo: stopped; the mailbox and the webhook log stay in ${dir}\n`), out.stdout.slice(-500));
    assert.deepEqual(await survivors(helpers, 5000), [], 'no child process of the demo outlives it');
    assert.equal((await fetch(`${api}/healthz`).catch(() => null)), null, 'the API no longer answers');
    assert.equal(out.stderr.split('\n').filter((l) => l.includes('"level":50') || l.includes('"level":60')).join('\n'), '', 'no error was logged');
  });
});

describe('sluice demo flags', () => {
  test('bad flags exit 2 and start nothing', async () => {
    const stderr: string[] = [];
    let started = 0;
    const ctx: CliContext = {
      stdout: () => {},
      stderr: (text) => void stderr.push(text),
      logger: pino({ level: 'silent' }),
      startCluster: async () => {
        started += 1;
        throw new Error('must not start');
      },
      shutdownRequested: () => new Promise(() => {}),
    };
    assert.equal(await runCli(['demo', '--port', '9092', '--metrics-port', '9093'], () => ctx), 2);
    assert.equal(await runCli(['demo', '--collect-interval', '0'], () => ctx), 2);
    assert.equal(started, 0);
    assert.deepEqual(stderr, [
      'sluice: SLUICE_ERR_CLI_ARGUMENT: --metrics-port: ports 9093 to 9095 overlap --port (9092 to 9094)\n',
      stderr[1],
    ]);
    assert.match(stderr[1]!, /^sluice: SLUICE_ERR_CLI_ARGUMENT: --collect-interval: .*\n$/);
  });
});
