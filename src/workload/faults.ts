/**
 * Faults: requests to the bundled cluster's control API, sent at their moment of scenario time.
 * A real cluster has no such API, so without a control URL faults are skipped with a warning;
 * a failing request is logged and the run goes on, as a fault injector must never stop the
 * traffic it disturbs.
 *
 * The API (src/kafka/broker/control.ts): POST {control}/brokers/{id}/stop (no body), /start (no
 * body, or {"wipe": true}), /latency {"ms"}, /replication {"enabled"}, /capacity
 * {networkInBytesPerSec?, networkOutBytesPerSec?, logDirBytes?, requestHandlers?}.
 */
import type { Logger } from 'pino';
import type { FaultSpec } from './scenario.ts';

/** The HTTP request a fault becomes. */
export interface FaultRequest {
  /** Path under the control URL, e.g. `/brokers/1/stop`. */
  readonly path: string;
  /** JSON body, or undefined for none. */
  readonly body?: Readonly<Record<string, unknown>>;
}

/** How long one control request may take. */
export const CONTROL_TIMEOUT_MS = 5000;

/** The request for `fault`. Pure. */
export function faultRequest(fault: FaultSpec): FaultRequest {
  const base = `/brokers/${fault.broker}`;
  switch (fault.do) {
    case 'stop-broker':
      return { path: `${base}/stop` };
    case 'start-broker':
      return fault.wipe === true ? { path: `${base}/start`, body: { wipe: true } } : { path: `${base}/start` };
    case 'cut-replication':
      return { path: `${base}/replication`, body: { enabled: false } };
    case 'restore-replication':
      return { path: `${base}/replication`, body: { enabled: true } };
    case 'set-latency':
      return { path: `${base}/latency`, body: { ms: fault.ms } };
    case 'set-capacity': {
      const { networkInBytesPerSec, networkOutBytesPerSec, logDirBytes, requestHandlers } = fault;
      const body = Object.fromEntries(
        Object.entries({ networkInBytesPerSec, networkOutBytesPerSec, logDirBytes, requestHandlers }).filter(([, v]) => v !== undefined),
      );
      return { path: `${base}/capacity`, body };
    }
  }
}

/** The outcome of one fault sent. */
export interface FaultOutcome {
  readonly fault: FaultSpec;
  readonly ok: boolean;
  /** HTTP status, when a response came. */
  readonly status?: number;
  readonly error?: string;
}

/** Sends a fault's request to the control API; never throws. */
export async function sendFault(control: string, fault: FaultSpec, logger: Logger): Promise<FaultOutcome> {
  const request = faultRequest(fault);
  const url = `${control.replace(/\/+$/, '')}${request.path}`;
  const what = `${fault.do} broker ${fault.broker}`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      ...(request.body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const error = `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
      logger.warn({ fault: fault.do, broker: fault.broker, url, status: response.status }, `fault ${what}: control API answered ${error}`);
      return { fault, ok: false, status: response.status, error };
    }
    logger.info({ fault: fault.do, broker: fault.broker, url }, `fault ${what} applied`);
    return { fault, ok: true, status: response.status };
  } catch (err) {
    const error = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    logger.warn({ fault: fault.do, broker: fault.broker, url }, `fault ${what}: control API request failed: ${error}`);
    return { fault, ok: false, error };
  }
}
