/**
 * Structured logging: one JSON object per line (pino), written to stderr so that stdout stays
 * free for what a command prints for scripts (e.g. `sluice broker listening on HOST:PORT`).
 */
import { pino, type Logger } from 'pino';
import { SluiceError } from '../errors.ts';

export type { Logger } from 'pino';

/** Levels a logger accepts, from most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Environment variable read for the level when none is passed. */
export const LOG_LEVEL_ENV = 'SLUICE_LOG_LEVEL';

/** How to build a logger. */
export interface LoggerOptions {
  /** Minimum level; default SLUICE_LOG_LEVEL, else `info`. */
  readonly level?: string;
  /** Written as `name` on every line, e.g. `sluice`. */
  readonly name?: string;
  /** Stream written to; default `stderr`. */
  readonly destination?: 'stderr' | 'stdout';
}

/** Field paths whose values never reach a log line. */
const REDACTED_PATHS = ['password', '*.password', 'saslUsers', '*.saslUsers', 'authorization', '*.authorization'];

/**
 * Builds a JSON logger. Lines are written synchronously, so nothing is lost when the process
 * exits right after logging (as the CLI does on SIGTERM). Throws SLUICE_ERR_CONFIG_INVALID for a
 * level pino does not know.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fromEnv = options.level === undefined ? process.env[LOG_LEVEL_ENV] : undefined;
  const level = parseLogLevel(options.level ?? (fromEnv === undefined || fromEnv === '' ? 'info' : fromEnv), {
    source: options.level === undefined ? LOG_LEVEL_ENV : 'level',
  });
  const fd = options.destination === 'stdout' ? 1 : 2;
  return pino(
    {
      level,
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: fd, sync: true }),
  );
}

/** A logger that writes nothing: the default wherever a logger is optional, and for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Checks a level name (case-insensitive); `source` names where it came from in the error. */
export function parseLogLevel(value: string, { source = 'level' }: { source?: string } = {}): LogLevel {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new SluiceError(
    'SLUICE_ERR_CONFIG_INVALID',
    `${source}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`,
    { path: source },
  );
}
