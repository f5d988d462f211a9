import { createServer, type Server, type Socket } from 'node:net';
import { SluiceError } from '../../errors.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import type { BrokerNode } from './node.ts';
import { applyPlainToken, type PlainAuth } from './sasl.ts';

/**
 * The TCP listener of one broker node: accepts connections and hands their frames to the node.
 * It can be closed and opened again on the same port (a broker stopped and restarted).
 */
export class BrokerServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly host: ConnectionHost;

  constructor(readonly node: BrokerNode) {
    node.server = this;
    const auth: PlainAuth = { users: node.options.saslUsers, logger: node.logger };
    this.host = {
      maxFrameBytes: node.options.maxFrameBytes,
      saslRequired: node.options.saslUsers !== null,
      logger: node.logger,
      supported: (k) => node.supported(k),
      dispatch: (ctx, req) => node.dispatch(ctx, req),
      rawSasl: (conn, token) => (applyPlainToken(auth, conn, token) ? Buffer.alloc(0) : null),
      onClose: (c) => this.connections.delete(c),
    };
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds the listener (on the node's port; 0 picks one and remembers it). */
  async listen(): Promise<void> {
    const node = this.node;
    const server = createServer((socket: Socket) => {
      if (!node.alive) {
        socket.destroy();
        return;
      }
      this.connections.add(new Connection(socket, this.host));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_ERR_BROKER_LISTEN', `broker ${node.nodeId} could not listen on ${node.options.host}:${node.port}: ${err.message}`, { cause: err })));
      server.listen(node.port, node.options.host, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (addr && typeof addr === 'object') node.port = addr.port;
    node.logger.info({ nodeId: node.nodeId, listener: `${node.options.host}:${node.port}`, sasl: node.options.saslUsers !== null }, 'broker listening');
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
