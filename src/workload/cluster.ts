/**
 * How workload clients reach the cluster: bootstrap brokers and, when the cluster needs it,
 * SASL/PLAIN credentials per scenario user. Works against any Kafka cluster.
 *
 * Whether SASL is used: always when `--sasl` is given; otherwise only when the scenario defines
 * users and the cluster refuses a plain connection (a SASL listener closes a connection whose
 * first request is not a SASL handshake), detected once at start with a metadata request.
 */
import { Admin, kGetConnection, type Consumer, type Producer, type SASLOptions } from '@platformatic/kafka';
import { SluiceError } from '../errors.ts';

/** A SASL/PLAIN user name and password. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Connection settings shared by every client of a workload. */
export interface ClientOptions {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly sasl?: SASLOptions;
  readonly connectTimeout: number;
  readonly timeout: number;
  readonly retries: number;
  readonly retryDelay: number;
}

/** The cluster as workload clients see it. */
export interface ClusterAccess {
  readonly bootstrap: readonly string[];
  /** Whether clients authenticate with SASL/PLAIN. */
  readonly sasl: boolean;
  /** Brokers in the cluster when it was reached. */
  readonly brokers: number;
  /**
   * Options for a client named `clientId` acting as scenario user `user` (the `--sasl` user when
   * absent). Throws SLUICE_ERR_CONFIG_INVALID when SASL is on and no credentials apply; `who`
   * names the client in that message.
   */
  clientOptions(clientId: string, user: string | undefined, who: string): ClientOptions;
  /** Options for the workload's own admin client: the `--sasl` user, else the first scenario user. */
  adminOptions(clientId: string): ClientOptions;
}

/** How the cluster is to be reached. */
export interface ClusterSettings {
  readonly bootstrap: readonly string[];
  /** Credentials of `--sasl`: SASL is forced on and these are the default identity. */
  readonly sasl?: Credentials;
  /** Scenario users: user name → password. */
  readonly users: Readonly<Record<string, string>>;
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * Reaches the cluster once (deciding whether SASL is needed) and returns how clients connect.
 * Throws SLUICE_ERR_CLI_ARGUMENT naming `--bootstrap` when the cluster cannot be reached.
 */
export async function connectCluster(settings: ClusterSettings): Promise<ClusterAccess> {
  const users = Object.entries(settings.users);
  const fallback: Credentials | undefined =
    settings.sasl ?? (users[0] === undefined ? undefined : { username: users[0][0], password: users[0][1] });
  let sasl = settings.sasl !== undefined;
  let probe = await probeBrokers(settings.bootstrap, sasl ? fallback : undefined);
  if (!probe.ok && !sasl && fallback !== undefined) {
    const withSasl = await probeBrokers(settings.bootstrap, fallback);
    if (withSasl.ok) {
      sasl = true;
      probe = withSasl;
    }
  }
  if (!probe.ok) {
    const how = sasl ? ` with SASL/PLAIN as ${JSON.stringify(fallback?.username)}` : '';
    const hint = fallback === undefined ? ' (if the cluster requires SASL, pass --sasl user:password)' : '';
    const message = `--bootstrap: cannot reach the cluster at ${settings.bootstrap.join(',')}${how}: ${probe.reason}${hint}`;
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', message, {
      path: '--bootstrap',
      cause: probe.error,
    });
  }
  const brokers = probe.brokers;
  return {
    bootstrap: settings.bootstrap,
    sasl,
    brokers,
    clientOptions(clientId, user, who) {
      const base = baseOptions(settings.bootstrap, clientId);
      return sasl ? { ...base, sasl: plain(credentialsFor(settings, user, who)) } : base;
    },
    adminOptions(clientId) {
      const base = baseOptions(settings.bootstrap, clientId);
      return sasl && fallback !== undefined ? { ...base, sasl: plain(fallback) } : base;
    },
  };
}

function credentialsFor(settings: ClusterSettings, user: string | undefined, who: string): Credentials {
  if (user !== undefined) {
    const password = settings.users[user];
    if (password !== undefined) return { username: user, password };
  }
  if (settings.sasl !== undefined) return settings.sasl;
  throw new SluiceError(
    'SLUICE_ERR_CONFIG_INVALID',
    `the cluster requires SASL: ${who} names no user; give it a user: from users, or pass --sasl user:password`,
    { path: who },
  );
}

/**
 * Retries ride out a leader failover (a few seconds on any cluster) without failing sends or
 * breaking consumer streams: 10 × 500 ms.
 */
function baseOptions(bootstrap: readonly string[], clientId: string): ClientOptions {
  return { clientId, bootstrapBrokers: [...bootstrap], connectTimeout: 5000, timeout: 10_000, retries: 10, retryDelay: 500 };
}

function plain(credentials: Credentials): SASLOptions {
  return { mechanism: 'PLAIN', username: credentials.username, password: credentials.password };
}

type Probe = { ok: true; brokers: number } | { ok: false; reason: string; error: unknown };

async function probeBrokers(bootstrap: readonly string[], credentials: Credentials | undefined): Promise<Probe> {
  const admin = new Admin({
    ...baseOptions(bootstrap, 'sluice-workload-probe'),
    ...(credentials === undefined ? {} : { sasl: plain(credentials) }),
    retries: 0,
    timeout: PROBE_TIMEOUT_MS,
    connectTimeout: PROBE_TIMEOUT_MS,
  });
  admin.on('error', () => {});
  hardenClient(admin);
  try {
    const metadata = await admin.metadata({ topics: [] });
    return { ok: true, brokers: metadata.brokers.size };
  } catch (error) {
    return { ok: false, reason: describeError(error), error };
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * A client error in one line: its message, then the last of the errors it aggregates, a few
 * levels down, so that a retried failure shows its final cause (`…failed 11 times: <cause>`).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message.replace(/\.$/, '')];
  let current: Error = error;
  for (let depth = 0; depth < 4; depth++) {
    const last = (current as { errors?: unknown[] }).errors?.at(-1);
    if (!(last instanceof Error)) break;
    const text = last.message.replace(/\.$/, '');
    if (text !== parts.at(-1)) parts.push(text);
    current = last;
  }
  return parts.join(': ');
}

/** The error a guarded client gets for a broker its metadata does not list. */
export class BrokerNotInMetadataError extends Error {
  constructor() {
    super('the broker asked for is not in the cluster metadata (it left the cluster)');
    this.name = 'BrokerNotInMetadataError';
  }
}

/**
 * Works around two behaviours of @platformatic/kafka 1.x that a broker leaving the cluster
 * exposes:
 * - a client keeps using cached metadata after a broker's connection closes, retrying against
 *   the dead broker until the metadata ages out; the metadata is dropped on every disconnect, so
 *   the next retry finds the new leaders;
 * - a consumer keeps its group coordinator id after that broker has left and then looks the
 *   missing broker up, which throws a TypeError out of a callback (an uncaught exception that
 *   would end the process); such a request now fails with BrokerNotInMetadataError through its
 *   callback, and `onMissing` is told, so that the owner can replace the client.
 */
export function hardenClient(client: Admin | Producer | Consumer, onMissing: () => void = () => {}): void {
  client.on('client:broker:disconnect', () => client.clearMetadata());
  const guarded = client as unknown as Record<symbol, (broker: unknown, callback: (error: Error | null, value?: unknown) => void) => void>;
  const original = guarded[kGetConnection];
  if (original === undefined) return;
  guarded[kGetConnection] = function getConnection(this: unknown, broker, callback) {
    if (broker === undefined || broker === null) {
      onMissing();
      callback(new BrokerNotInMetadataError());
      return;
    }
    original.call(this, broker, callback);
  };
}
