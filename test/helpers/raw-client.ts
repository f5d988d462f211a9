import { connect, type Socket } from 'node:net';
import { encodeRequest, decodeResponse } from '../../src/kafka/protocol/frames.ts';
import type { Message } from '../../src/kafka/protocol/codec.ts';

/**
 * A minimal Kafka client over one socket for protocol-level tests: sends requests encoded by
 * Sluice's codec and decodes responses. Used where a library client would hide what the broker
 * did on the wire (error codes, framing, connection closes).
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: ((frame: Buffer) => void)[] = [];
  private correlation = 1;
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiters.shift()?.(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
    });
    socket.on('error', () => {});
  }

  /** Connects to host:port. */
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Next response frame (without its size prefix). */
  nextFrame(timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response frame in time')), timeoutMs);
      this.waiters.push((f) => {
        clearTimeout(t);
        resolve(f);
      });
    });
  }

  /** Resolves when the broker closes the connection; rejects after the timeout. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sends a request and decodes its response. */
  async request(apiKey: number, version: number, body: Message, clientId = 'raw-test'): Promise<Message> {
    const corr = this.correlation++;
    const frame = this.nextFrame();
    this.socket.write(encodeRequest(apiKey, version, corr, clientId, body));
    const res = decodeResponse(apiKey, version, await frame);
    if (res.correlationId !== corr) throw new Error(`correlation ${res.correlationId} != ${corr}`);
    return res.body;
  }

  /** Sends raw bytes. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
