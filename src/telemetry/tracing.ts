/**
 * Tracing of the service's own work with the OpenTelemetry SDK: each collection cycle, rule
 * group evaluation, notification send and throttle round is a span (see `traced`), and the
 * HTTP server and client and PostgreSQL queries are instrumented. Export is configured by the
 * standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, …); with none of
 * them set, or OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none, tracing is off and spans
 * cost nothing (the API's no-op tracer).
 *
 * Instrumentation must be in place before `pg` and `node:http` are loaded, so the SDK starts
 * from `preload.ts` (loaded with `--import` ahead of the CLI), not from the service itself.
 */
import { type Attributes, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('sluice');

let shutdown: (() => Promise<void>) | undefined;

/** Set by preload.ts once the SDK runs: how to flush and stop it. */
export function onTracingShutdown(fn: () => Promise<void>): void {
  shutdown = fn;
}

/** Flushes the spans not yet exported and stops the SDK; nothing when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  await shutdown?.();
}

/** Whether the environment asks for traces to be exported. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '') !== '' || (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? '') !== '';
}

/**
 * Runs `fn` inside a span named `name` with `attributes`; the span records an error thrown by
 * `fn` (and `fn` may add attributes of its outcome through the span it is given).
 */
export async function traced<T>(name: string, attributes: Attributes, fn: (span: { setAttributes(a: Attributes): void }) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
