/** A CLI context for running `sluice` commands in-process: output into arrays, a silent logger. */
import { pino } from 'pino';
import type { CliContext } from '../../src/cli/context.ts';

/** A CLI context writing into arrays; it has no cluster to start and is never asked to shut down. */
export function captureContext(): { ctx: CliContext; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx: CliContext = {
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'silent' }),
    startCluster: () => Promise.reject(new Error('not used')),
    shutdownRequested: () => new Promise(() => {}),
  };
  return { ctx, stdout, stderr };
}
