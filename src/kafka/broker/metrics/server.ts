import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { SluiceError } from '../../../errors.ts';

/** A tiny HTTP server answering GET /metrics with a registry's Prometheus text. */
export class MetricsServer {
  private server: Server | null = null;
  port = 0;

  constructor(private readonly registry: Registry, private readonly host: string) {}

  /** Binds `port` (0 picks one). */
  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_ERR_BROKER_LISTEN', `metrics endpoint could not listen on ${this.host}:${port}: ${err.message}`, { cause: err })));
      server.listen(port, this.host, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
  }

  /** Closes the listener. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
