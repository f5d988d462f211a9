/**
 * Where the demo's notifications go, all in this process: an SMTP server (smtp-server) that
 * appends every mail it receives to an mbox file (a local mailbox any mail reader opens, e.g.
 * `mutt -f FILE`), and an HTTP server that appends every webhook payload to a JSON-lines log.
 * Sluice's real email and webhook receivers send to them over sockets, as they would to a mail
 * relay and a chat or paging service.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

/** The running receivers. */
export interface LocalReceivers {
  /** host:port of the SMTP server, for `email_configs[].smarthost`. */
  readonly smarthost: string;
  /** URL webhooks are posted to. */
  readonly webhookUrl: string;
  readonly mailboxPath: string;
  readonly webhookLogPath: string;
  /** Mails and webhook payloads received so far. */
  counts(): { mails: number; webhooks: number };
  stop(): Promise<void>;
}

/** The mbox "From " line that opens each message (asctime date, as mbox readers expect). */
function fromLine(sender: string, at: Date): string {
  // toUTCString: "Tue, 01 Dec 2026 23:25:24 GMT"; asctime: "Tue Dec  1 23:25:24 2026".
  const [day, date, month, year, time] = at.toUTCString().replace(',', '').split(' ');
  return `From ${sender || 'MAILER-DAEMON'} ${day} ${month} ${String(Number(date)).padStart(2, ' ')} ${time} ${year}`;
}

/** A message as it goes into an mbox file: body lines starting with "From " are quoted (mboxrd). */
export function mboxEntry(raw: string, sender: string, at: Date): string {
  const body = raw.replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
  return `${fromLine(sender, at)}\n${body}${body.endsWith('\n') ? '' : '\n'}\n`;
}

/**
 * Starts both receivers on `host` (free ports), writing into `dir` (files created empty).
 * `onError` hears what goes wrong after start (a broken SMTP session, a failed write).
 */
export async function startLocalReceivers(dir: string, host = '127.0.0.1', onError: (err: Error) => void = () => {}): Promise<LocalReceivers> {
  const mailboxPath = join(dir, 'mailbox.mbox');
  const webhookLogPath = join(dir, 'webhook.jsonl');
  await writeFile(mailboxPath, '');
  await writeFile(webhookLogPath, '');
  let mails = 0;
  let webhooks = 0;
  // Appends are chained so that entries never interleave.
  let writing: Promise<void> = Promise.resolve();
  const append = (path: string, text: string): Promise<void> => (writing = writing.then(() => appendFile(path, text)));

  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'sluice demo mailbox',
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const sender = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        append(mailboxPath, mboxEntry(Buffer.concat(chunks).toString('utf8'), sender, new Date())).then(() => {
          mails += 1;
          callback();
        }, (err: Error) => {
          onError(err);
          callback(err);
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(0, host, () => {
      smtp.off('error', reject);
      smtp.on('error', onError);
      resolve();
    });
  });

  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('expected a JSON body');
        return;
      }
      append(webhookLogPath, `${JSON.stringify({ receivedAt: new Date().toISOString(), path: req.url, payload })}\n`).then(() => {
        webhooks += 1;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, (err: Error) => {
        onError(err);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('could not write the log');
      });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, host, () => {
        http.off('error', reject);
        http.on('error', onError);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw err;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    smarthost: `${hostPart}:${(smtp.server.address() as AddressInfo).port}`,
    webhookUrl: `http://${hostPart}:${(http.address() as AddressInfo).port}/hook`,
    mailboxPath,
    webhookLogPath,
    counts: () => ({ mails, webhooks }),
    async stop() {
      await new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      });
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await writing.catch(() => undefined);
    },
  };
}
