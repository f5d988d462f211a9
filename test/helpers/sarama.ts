/**
 * Builds and runs the Go test client in test/kafka/broker/clients/sarama (Shopify's sarama,
 * the Go Kafka client). It builds offline in GOPATH mode over Debian's packaged sources:
 * golang-go (Go 1.19) and golang-github-shopify-sarama-dev (sarama 1.22.1 under /usr/share/gocode).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Where Debian installs Go library sources. */
export const GOCODE = '/usr/share/gocode';
const SARAMA_SOURCES = join(GOCODE, 'src', 'github.com', 'Shopify', 'sarama');
const CLIENT_SOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'kafka', 'broker', 'clients', 'sarama');

/** Why the sarama client cannot be built here, or null when it can. */
export async function saramaUnavailable(): Promise<string | null> {
  try {
    await promisify(execFile)('go', ['version']);
  } catch {
    return 'go is not installed (apt-get install golang-go)';
  }
  if (!existsSync(SARAMA_SOURCES)) return `sarama sources are not installed under ${GOCODE} (apt-get install golang-github-shopify-sarama-dev)`;
  return null;
}

/** A built client binary in a directory of its own; remove() deletes both. */
export interface SaramaClient {
  readonly path: string;
  remove(): Promise<void>;
}

/** Builds the client into a temporary directory; throws with go's output when the build fails. */
export async function buildSaramaClient(): Promise<SaramaClient> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sarama-'));
  const path = join(dir, 'sarama-client');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // GOPATH mode over the packaged sources; nothing is fetched (there is no module proxy).
    GO111MODULE: 'off',
    GOPATH: `${join(dir, 'gopath')}:${GOCODE}`,
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    // Go needs a build cache; without a home directory it would refuse to build.
    ...(process.env.GOCACHE === undefined && process.env.HOME === undefined ? { GOCACHE: join(tmpdir(), 'sluice-go-build-cache') } : {}),
  };
  try {
    await promisify(execFile)('go', ['build', '-o', path, '.'], { cwd: CLIENT_SOURCES, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`go build of the sarama client failed: ${e.stderr ?? e.message}`);
  }
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** What the client was asked to do. */
export interface SaramaRun {
  readonly bootstrap: string;
  /** Kafka version sarama speaks, e.g. "2.0.0". */
  readonly version: string;
  readonly topic: string;
  readonly deletedTopic: string;
  readonly replicationFactor: number;
  /** Prefix of the group names: `<group>-offsets` (offset manager) and `<group>-members`. */
  readonly group: string;
}

/** Runs the client to completion and parses its JSON report; rejects with its stderr on failure. */
export function runSaramaClient(client: SaramaClient, run: SaramaRun, timeoutMs = 60_000): Promise<SaramaReport> {
  const args = [
    '-brokers', run.bootstrap, '-version', run.version, '-topic', run.topic, '-deleted-topic', run.deletedTopic,
    '-rf', String(run.replicationFactor), '-group', run.group,
    ...(process.env.SLUICE_TEST_SARAMA_LOG ? ['-v'] : []),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(client.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sarama client (${run.version}) did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`sarama client (${run.version}) exited with ${code}; stderr:\n${stderr}`));
      try {
        resolvePromise(JSON.parse(stdout) as SaramaReport);
      } catch (err) {
        reject(new Error(`sarama client (${run.version}) printed no JSON report: ${(err as Error).message}\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** A committed offset as sarama read it. */
export interface SaramaCommitted {
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
  readonly error: string;
}

/** A group as ClusterAdmin.DescribeConsumerGroups described it. */
export interface SaramaGroupDescription {
  readonly error: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: { clientId: string; clientHost: string; topics: string[]; assignment: number[] }[];
}

/** The client's JSON report (see main.go). */
export interface SaramaReport {
  readonly version: string;
  readonly errors: string[];
  readonly brokers: { id: number; addr: string }[];
  readonly controller: number;
  readonly partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
  readonly produced: { key: string; partition: number; offset: number }[];
  readonly offsets: { partition: number; oldest: number; newest: number }[];
  readonly pollerOffsets: { partition: number; newest: number[]; oldest: number[]; error: string }[];
  readonly offsetManager: { reread: SaramaCommitted[]; admin: SaramaCommitted[] };
  readonly group: {
    sessions: Record<string, { generation: number; claims: number[] }[]>;
    consumed: { member: string; generation: number; partition: number; offset: number; key: string; value: string }[];
    describeActive: SaramaGroupDescription;
    committed: SaramaCommitted[];
    describeStopped: SaramaGroupDescription;
  };
  readonly groups: Record<string, string>;
  readonly configs: { name: string; value: string; readOnly: boolean; default: boolean; sensitive: boolean }[] | null;
  readonly topicsBefore: string[] | null;
  readonly topicsAfter: string[] | null;
  readonly describeAfter: { name: string; error: string }[] | null;
}
