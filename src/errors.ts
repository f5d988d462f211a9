/**
 * The one catalog of Sluice error codes. Codes are prefixed by area and never reused: a retired
 * code stays here, commented as retired, so that logs and docs keep meaning the same thing.
 */

/** What a catalog entry says about one code. */
export interface ErrorSpec {
  /** Default message; a thrown error may carry a more precise one. */
  readonly message: string;
  /** Whether trying the same thing again later may succeed. */
  readonly retryable: boolean;
}

/** Every code Sluice raises, with its default message and retry flag. */
export const ERRORS = {
  SLUICE_ERR_CONFIG_INVALID: { message: 'Invalid configuration', retryable: false },
  SLUICE_ERR_CONFIG_FILE: { message: 'Configuration file could not be read', retryable: false },
  SLUICE_ERR_CLI_ARGUMENT: { message: 'Invalid command-line argument', retryable: false },
  SLUICE_ERR_PROTOCOL_BUFFER_UNDERFLOW: { message: 'Frame ended before the field was complete', retryable: false },
  SLUICE_ERR_PROTOCOL_INVALID_VALUE: { message: 'Field value is invalid', retryable: false },
  SLUICE_ERR_PROTOCOL_UNSUPPORTED_VERSION: { message: 'API version is not supported', retryable: false },
  SLUICE_ERR_PROTOCOL_UNKNOWN_API: { message: 'API key is not known', retryable: false },
  SLUICE_ERR_PROTOCOL_FRAME_TOO_LARGE: { message: 'Frame exceeds the configured size limit', retryable: false },
  SLUICE_ERR_RECORDS_INVALID: { message: 'Record batch is invalid', retryable: false },
  SLUICE_ERR_BROKER_LISTEN: { message: 'Broker could not listen', retryable: true },
  SLUICE_ERR_CONTROL: { message: 'The fault control API refused the request', retryable: false },
  SLUICE_ERR_CONTROL_UNREACHABLE: { message: 'The fault control API could not be reached', retryable: true },
  SLUICE_ERR_STORE_UNREACHABLE: { message: 'The database could not be reached', retryable: true },
  SLUICE_ERR_STORE_SCHEMA_NEWER: { message: 'The database schema is newer than this version of Sluice knows', retryable: false },
  SLUICE_ERR_STORE_MIGRATION: { message: 'A database schema migration failed', retryable: false },
  SLUICE_ERR_STORE_SAMPLE_INVALID: { message: 'Sample is invalid', retryable: false },
  SLUICE_ERR_STORE_MATCHER_INVALID: { message: 'Series matcher is invalid', retryable: false },
  SLUICE_ERR_STORE_CLOSED: { message: 'The store is closed', retryable: false },
  SLUICE_ERR_KAFKA_UNREACHABLE: { message: 'No broker of the cluster could be reached', retryable: true },
  SLUICE_ERR_COLLECT_SCRAPE: { message: 'A metrics endpoint could not be scraped', retryable: true },
  SLUICE_ERR_PROMQL_PARSE: { message: 'PromQL expression is invalid', retryable: false },
  SLUICE_ERR_PROMQL_EVAL: { message: 'PromQL expression could not be evaluated', retryable: false },
  SLUICE_ERR_PROMQL_TIMEOUT: { message: 'PromQL query ran out of time', retryable: false },
  SLUICE_ERR_RULES_FILE: { message: 'Rule file is invalid', retryable: false },
  SLUICE_ERR_RULES_TEST_FILE: { message: 'Rule unit test file is invalid', retryable: false },
  SLUICE_ERR_RULES_TEMPLATE: { message: 'Alert template could not be expanded', retryable: false },
  SLUICE_ERR_NOTIFY_CONFIG: { message: 'Notification configuration is invalid', retryable: false },
  SLUICE_ERR_NOTIFY_SEND: { message: 'A notification could not be delivered', retryable: true },
  SLUICE_ERR_NOTIFY_REJECTED: { message: 'A receiver refused a notification', retryable: false },
  SLUICE_ERR_SILENCE_INVALID: { message: 'Silence is invalid', retryable: false },
  SLUICE_ERR_API_REQUEST: { message: 'Invalid API request', retryable: false },
  SLUICE_ERR_API_UNAUTHORIZED: { message: 'A bearer token is required', retryable: false },
  SLUICE_ERR_API_NOT_FOUND: { message: 'Not found', retryable: false },
  SLUICE_ERR_API_LISTEN: { message: 'The HTTP API could not listen', retryable: true },
  SLUICE_ERR_API_INTERNAL: { message: 'The API failed to answer', retryable: true },
  SLUICE_ERR_FIXTURE_INVALID: { message: 'Incident fixture is invalid', retryable: false },
  SLUICE_ERR_FIXTURE_FILE: { message: 'Incident fixture could not be read or written', retryable: false },
  SLUICE_ERR_REPLAY_CHECK: { message: 'The replay differs from what the fixture expects', retryable: false },
  SLUICE_ERR_REGEX_INVALID: { message: 'Regular expression is invalid (RE2 syntax)', retryable: false },
  SLUICE_ERR_REPLAY_TIMEOUT: { message: 'The replay took longer than its time budget and was stopped', retryable: false },
  SLUICE_ERR_THROTTLE_NOT_FOUND: { message: 'No such quota recommendation for the cluster', retryable: false },
  SLUICE_ERR_THROTTLE_NOT_PENDING: { message: 'The quota recommendation is no longer pending', retryable: false },
  SLUICE_ERR_THROTTLE_EXPIRED: { message: 'The quota recommendation expired: its evidence is old', retryable: false },
  SLUICE_ERR_THROTTLE_UNDER_FLOOR: { message: 'The recommended quota is under its group floor', retryable: false },
  SLUICE_ERR_THROTTLE_REFUSED: { message: 'The cluster refused the quota change; it is recorded as failed', retryable: false },
  SLUICE_ERR_BALANCE_NOT_FOUND: { message: 'No such balance plan or execution for the cluster', retryable: false },
  SLUICE_ERR_BALANCE_BUSY: { message: 'An execution is already running on the cluster', retryable: true },
  SLUICE_ERR_BALANCE_STATE: { message: 'The plan or execution is not in a state that allows this', retryable: false },
  SLUICE_ERR_BALANCE_OFF: { message: 'Balancing is off (balance.mode: off)', retryable: false },
} as const satisfies Record<string, ErrorSpec>;

/** A code from the catalog. */
export type ErrorCode = keyof typeof ERRORS;

/** The base error for everything Sluice raises on purpose. */
export class SluiceError extends Error {
  /** Catalog code, e.g. SLUICE_ERR_CONFIG_INVALID. */
  readonly code: ErrorCode;
  /** Whether a retry may succeed. */
  readonly canRetry: boolean;
  /** Where the bad input is: a config path, file:line, or a protocol field path. */
  readonly path?: string;

  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; path?: string } = {}) {
    const spec = ERRORS[code];
    super(message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.canRetry = spec.retryable;
    if (options.path !== undefined) this.path = options.path;
  }
}

/** True when `err` is a SluiceError, optionally with the given code. */
export function isSluiceError(err: unknown, code?: ErrorCode): err is SluiceError {
  return err instanceof SluiceError && (code === undefined || err.code === code);
}
