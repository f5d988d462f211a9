/**
 * The Prometheus side of the query bench: the data set as OpenMetrics text, turned into TSDB
 * blocks by `promtool tsdb create-blocks-from openmetrics`, served by Debian's Prometheus 2.42
 * (/usr/bin/prometheus) with no scrape targets, over HTTP on a free local port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, openSync, closeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { type DataSet, labelText, sampleTime, seriesValues } from './data.ts';

export const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

/**
 * Writes the set as OpenMetrics text: series after series (a metric's series together, as the
 * format requires), times in seconds, `# EOF` at the end. Returns the bytes written.
 */
export async function writeOpenMetrics(set: DataSet, path: string): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 8 << 20 });
  let bytes = 0;
  for (const s of set.series) {
    const prefix = `${s.metric}${labelText(s.labels)} `;
    const values = seriesValues(s, set.samples);
    const lines: string[] = new Array<string>(set.samples);
    for (let k = 0; k < set.samples; k++) lines[k] = `${prefix}${values[k]!} ${sampleTime(set, s, k) / 1000}\n`;
    const chunk = lines.join('');
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return bytes + 6;
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-2000)}`))));
  });
}

/** `promtool tsdb create-blocks-from openmetrics`: the text file into blocks under `dataDir`. */
export async function backfill(file: string, dataDir: string): Promise<void> {
  await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dataDir]);
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** A running Prometheus server. */
export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on `dataDir` with no scrape targets and waits until it is ready. Retention is
 * 100 years so that nothing loaded is dropped; block durations are pinned to 2 h, so that it does
 * not compact the loaded blocks in the background while queries are timed. Its log goes to
 * `prometheus.log` in `workDir`.
 */
export async function startPrometheus(dataDir: string, workDir: string): Promise<PrometheusServer> {
  const config = join(workDir, 'prometheus.yml');
  await writeFile(config, 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const log = openSync(join(workDir, 'prometheus.log'), 'a');
  const child: ChildProcess = spawn(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=100y',
    '--storage.tsdb.min-block-duration=2h',
    '--storage.tsdb.max-block-duration=2h',
    '--log.level=warn',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode} at start; see ${join(workDir, 'prometheus.log')}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return { url, pid: child.pid!, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus was not ready within 180 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
