/**
 * What a command needs from the outside world, passed in rather than reached for, so that tests
 * run the real command code in-process with a cluster of their choosing, captured output and a
 * shutdown they trigger themselves.
 */
import type { BrokerOptions, RunningCluster } from '../kafka/broker/index.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';

/** The outside world as seen by `sluice` commands. */
export interface CliContext {
  /** Writes text to standard output (what scripts read). */
  readonly stdout: (text: string) => void;
  /** Writes text to standard error (messages for people). */
  readonly stderr: (text: string) => void;
  /** The process logger (JSON lines on stderr). */
  readonly logger: Logger;
  /** Starts the bundled broker cluster (one or more brokers in this process). */
  readonly startCluster: (options: BrokerOptions) => Promise<RunningCluster>;
  /**
   * Resolves with the signal name once the process is asked to stop (SIGINT or SIGTERM). Called
   * before a long-running command starts its work, so a signal during start-up is not missed.
   */
  readonly shutdownRequested: () => Promise<string>;
  /** True when stdout is a terminal, so a status line may be redrawn in place. */
  readonly interactive?: boolean;
}

/** Signals that ask a long-running command to stop cleanly. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * The context of a real process. The broker module is loaded when a command first needs it, so
 * commands that do not run a broker do not pay for loading it.
 */
export function processContext(): CliContext {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    logger: createLogger({ name: 'sluice' }),
    startCluster: async (options) => {
      const { startCluster } = await import('../kafka/broker/index.ts');
      return startCluster(options);
    },
    shutdownRequested: waitForShutdownSignal,
    interactive: process.stdout.isTTY === true,
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM. Its handlers are then removed, so a second Ctrl-C
 * while stopping ends the process at once (the default action).
 */
export function waitForShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const name of SHUTDOWN_SIGNALS) process.off(name, onSignal);
      resolve(signal);
    };
    for (const name of SHUTDOWN_SIGNALS) process.on(name, onSignal);
  });
}
