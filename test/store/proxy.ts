/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `cut()` drops every connection and
 * refuses new ones until `restore()`, as a network partition or a stopped server would look to
 * the client. `loseAnswerToNextCopy()` makes the next COPY reach the server (which commits it)
 * while its answer never reaches the client, whose connection is then dropped: the one case
 * where the client cannot know whether its write was stored.
 */
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Server-to-client bytes are thrown away while set. */
  muted: boolean;
}

/** CopyDone, the frontend message that ends a COPY FROM STDIN: 'c', then length 4. */
const COPY_DONE = 0x63;

export class PgProxy {
  private readonly pairs = new Set<Pair>();
  private down = false;
  private loseNextCopy: (() => void) | undefined;
  private dropDelayMs = 500;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a proxy on a free local port forwarding to `host:port`. */
  static async start(target: { host: string; port: number }): Promise<PgProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new PgProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.down = true;
    for (const pair of this.pairs) this.drop(pair);
  }

  /** Accepts connections again. */
  restore(): void {
    this.down = false;
  }

  /**
   * Resolves once a COPY was sent in full to the server with its answer withheld; the
   * connection is dropped `dropAfterMs` later (time for the server to commit).
   */
  loseAnswerToNextCopy(dropAfterMs = 500): Promise<void> {
    return new Promise((resolve) => {
      this.loseNextCopy = resolve;
      this.dropDelayMs = dropAfterMs;
    });
  }

  async close(): Promise<void> {
    this.cut();
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, muted: false };
    this.pairs.add(pair);
    const scanner = frontendScanner((type) => {
      if (type !== COPY_DONE || this.loseNextCopy === undefined) return;
      const resolve = this.loseNextCopy;
      this.loseNextCopy = undefined;
      pair.muted = true;
      setTimeout(() => this.drop(pair), this.dropDelayMs);
      resolve();
    });
    client.on('data', (chunk: Buffer) => {
      scanner(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.muted) client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.drop(pair));
      socket.on('close', () => this.drop(pair));
    }
  }

  private drop(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  }
}

/**
 * Follows the frontend message stream (a startup message without a type byte, then
 * type + int32 length + body) across chunks and reports each message's type.
 */
function frontendScanner(onMessage: (type: number) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const header = started ? 5 : 4;
      if (pending.length < header) return;
      const length = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
      if (pending.length < length) return;
      if (started) onMessage(pending[0]!);
      started = true;
      pending = pending.subarray(length);
    }
  };
}
