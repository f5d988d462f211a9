import { createServer, type Server, type Socket } from 'node:net';
import { SluiceError } from '../../errors.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { BrokerNode } from './node.ts';
import { applyPlainToken } from './handlers/sasl.ts';
import { HANDLERS } from './handlers/index.ts';
import type { BrokerOptions, RunningBroker } from './options.ts';

/**
 * A broker node listening on a TCP port: accepts connections and hands their frames to the
 * node. Stopping closes the listener, every connection and the node's timers.
 */
export class BrokerServer implements RunningBroker {
  readonly node: BrokerNode;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private stopping: Promise<void> | null = null;

  constructor(options: BrokerOptions) {
    this.node = new BrokerNode(options, HANDLERS);
  }

  get host(): string { return this.node.options.host; }
  get port(): number { return this.node.port; }
  get nodeId(): number { return this.node.options.nodeId; }
  get bootstrap(): string { return `${this.host}:${this.port}`; }

  /** Binds the listener; resolves once it accepts connections. */
  async listen(): Promise<void> {
    const node = this.node;
    const host: ConnectionHost = {
      maxFrameBytes: node.options.maxFrameBytes,
      saslRequired: node.options.saslUsers !== null,
      logger: node.logger,
      supported: (k) => node.supported(k),
      dispatch: (ctx, req) => node.dispatch(ctx, req),
      rawSasl: (conn, token) => (applyPlainToken(node, conn, token) ? Buffer.alloc(0) : null),
      onClose: (c) => this.connections.delete(c),
    };
    const server = createServer((socket: Socket) => {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      this.connections.add(new Connection(socket, host));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_ERR_BROKER_LISTEN', `broker ${node.options.nodeId} could not listen on ${node.options.host}:${node.options.port}: ${err.message}`, { cause: err })));
      server.listen(node.options.port, node.options.host, () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') node.port = addr.port;
    node.start();
    node.logger.info({ nodeId: node.options.nodeId, listener: this.bootstrap, sasl: node.options.saslUsers !== null }, 'broker listening');
  }

  /** Closes everything; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.node.stop();
      for (const c of this.connections) c.destroy();
      this.connections.clear();
      if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.node.logger.info({ nodeId: this.node.options.nodeId }, 'broker stopped');
    })();
    return this.stopping;
  }
}
