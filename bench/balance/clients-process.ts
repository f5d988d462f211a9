/**
 * The bench's clients (clients.ts) in a process of their own, so that the latency they measure is
 * the brokers', not the pauses of the service's event loop (its collectors and executor rounds).
 * The parent asks over IPC (`stopProducers`, `stats`, `readBack`, `close`) and gets the answers.
 * Run directly (as the child), it starts the clients on the bootstrap given.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Clients, type LatencyPoint } from './clients.ts';

/** What the clients report. */
export interface ClientStats {
  /** The core producer's acknowledge latencies. */
  readonly coreLatencies: LatencyPoint[];
  readonly produceErrors: number;
  readonly lastProduceError: string | null;
  readonly consumerCrashes: number;
  readonly consumed: number;
}

export type ReadBack = Awaited<ReturnType<Clients['readBack']>>;

/** The clients, running in a child process. */
export interface ClientsProcess {
  stopProducers(): Promise<void>;
  stats(): Promise<ClientStats>;
  readBack(): Promise<ReadBack>;
  close(): Promise<void>;
}

type Command = 'stopProducers' | 'stats' | 'readBack' | 'close';

/** Forks the clients on `bootstrap` (with `coreProducer`'s latencies reported) and waits until they run. */
export async function startClientsProcess(bootstrap: readonly string[], coreProducer: string): Promise<ClientsProcess> {
  const child = fork(fileURLToPath(import.meta.url), [bootstrap.join(','), coreProducer], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => { ready = resolve; failed = reject; });
  child.on('message', (m: { id?: number; ready?: true; error?: string; value?: unknown }) => {
    if (m.ready === true) return ready();
    if (m.id === undefined) return failed(new Error(m.error ?? 'the clients failed to start'));
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.value);
  });
  child.once('exit', (code) => {
    const e = new Error(`the clients process exited (code ${code})`);
    failed(e);
    for (const w of waiting.values()) w.reject(e);
  });
  await started;
  const ask = <T>(command: Command): Promise<T> => new Promise<T>((resolve, reject) => {
    if (child.exitCode !== null) return command === 'close' ? resolve(undefined as T) : reject(new Error('the clients process has exited'));
    const id = next++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, command });
  });
  return {
    stopProducers: () => ask('stopProducers'),
    stats: () => ask('stats'),
    readBack: () => ask('readBack'),
    close: async () => {
      await ask('close');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) {
  const send = (m: unknown): void => void process.send!(m);
  try {
    const clients = await Clients.start(process.argv[2]!.split(','));
    const core = process.argv[3]!;
    process.on('message', (m: { id: number; command: Command }) => {
      const answer = async (): Promise<unknown> => {
        switch (m.command) {
          case 'stopProducers': return clients.stopProducers();
          case 'readBack': return clients.readBack();
          case 'close': return clients.close();
          case 'stats': return {
            coreLatencies: clients.producer(core).latencies, produceErrors: clients.produceErrors,
            lastProduceError: clients.producers.map((p) => p.lastError).find((e) => e !== null) ?? null,
            consumerCrashes: clients.consumerCrashes, consumed: clients.consumedMessages,
          } satisfies ClientStats;
        }
      };
      answer().then((value) => {
        send({ id: m.id, value: value ?? null });
        if (m.command === 'close') process.exit(0);
      }, (err: unknown) => send({ id: m.id, error: err instanceof Error ? err.message : String(err) }));
    });
    process.on('disconnect', () => void clients.close().then(() => process.exit(0)));
    send({ ready: true });
  } catch (err) {
    send({ error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
}
