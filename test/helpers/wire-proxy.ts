/**
 * A TCP proxy in front of every broker of a bundled cluster that checks each response against
 * Kafka's message definitions (wire-check.ts) on its way to the client. Clients bootstrap from
 * the proxies; broker addresses in Metadata, FindCoordinator and DescribeCluster responses are
 * rewritten to the proxies' so that every later connection goes through them too.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import type { TestBrokerOptions } from './broker.ts';
import { ConnectionCheck, WireLog, encodeFrame, rewritePorts } from './wire-check.ts';

/** Proxies in front of a cluster's brokers. */
export interface WireProxy {
  /** host:port of the proxy of every broker, for a client's bootstrap list. */
  readonly bootstrap: string;
  readonly log: WireLog;
  /** Closes the proxies and every proxied connection. */
  stop(): Promise<void>;
}

/** Splits a byte stream into size-prefixed frames, copying only when a frame spans chunks. */
class Framer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being received, once its prefix is in. */
  private expected = -1;

  /** Adds bytes; returns the frames (without size prefix) they completed. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        this.expected = this.take(4).readInt32BE(0);
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

function sizePrefixed(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** Starts one proxy per broker of `running` on 127.0.0.1 and free ports. */
export async function startWireProxy(running: RunningCluster): Promise<WireProxy> {
  const log = new WireLog();
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const ports = new Map<number, number>();
  for (const node of nodes) {
    const server = createServer((client) => proxyConnection(client, node.nodeId, node.port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    ports.set(node.port, (server.address() as { port: number }).port);
  }

  function proxyConnection(client: Socket, nodeId: number, brokerPort: number): void {
    const upstream = connect(brokerPort, running.host);
    const check = new ConnectionCheck(log, nodeId);
    const requests = new Framer();
    const responses = new Framer();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => s.destroy());
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data: Buffer) => {
      for (const frame of requests.push(data)) check.onRequest(frame);
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      for (const frame of responses.push(data)) {
        const checked = check.onResponse(frame);
        if (checked !== null && rewritePorts(checked.body, ports)) client.write(sizePrefixed(encodeFrame(checked)));
        else client.write(sizePrefixed(frame));
      }
    });
  }

  return {
    bootstrap: [...ports.values()].map((p) => `127.0.0.1:${p}`).join(','),
    log,
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** A test broker whose clients connect through wire proxies: RunningBroker's addresses are the proxies'. */
export interface CheckedBroker extends RunningBroker {
  /** What the proxies saw: problems and the API versions decoded. */
  readonly wire: WireLog;
  /** The cluster behind the proxies. */
  readonly running: RunningCluster;
}

/**
 * Starts a bundled broker (or cluster) on free ports, as startTestBroker does, behind wire
 * proxies; `bootstrap`, `host` and `port` are the proxies' and stop() stops both.
 */
export async function startCheckedBroker(options: TestBrokerOptions = {}): Promise<CheckedBroker> {
  const running = await startCluster({ ...options, host: '127.0.0.1', port: 0, logger: pino({ level: process.env.SLUICE_TEST_BROKER_LOG ?? 'silent' }) });
  let proxy: WireProxy;
  try {
    proxy = await startWireProxy(running);
  } catch (err) {
    await running.stop();
    throw err;
  }
  const first = proxy.bootstrap.split(',')[0]!;
  return {
    running,
    wire: proxy.log,
    host: '127.0.0.1',
    port: Number(first.slice(first.lastIndexOf(':') + 1)),
    nodeId: running.nodeId,
    bootstrap: proxy.bootstrap,
    async stop() {
      await proxy.stop();
      await running.stop();
    },
  };
}
