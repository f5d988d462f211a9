/**
 * Starts the OpenTelemetry SDK when the environment asks for traces (see tracing.ts), before
 * anything else is loaded: `node --import tsx --import ./src/telemetry/preload.ts …` (the
 * `sluice` executable and `npm start` do this). ESM imports are hooked so that `pg` and
 * `node:http` are instrumented however they are imported. The SDK flushes and stops before the CLI exits.
 */
import { register } from 'node:module';
import { onTracingShutdown, shutdownTracing as shutdownTracingNow, tracingRequested } from './tracing.ts';

if (tracingRequested()) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  // Traces only: the service's metrics are prom-client's on /metrics, its logs pino's.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = await import('@opentelemetry/instrumentation-pg');
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'sluice',
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  // The CLI flushes before it exits (main.ts); a process that ends on its own flushes here.
  onTracingShutdown(() => (stopping ??= sdk.shutdown().catch(() => undefined)));
  process.once('beforeExit', () => void shutdownTracingNow());
}
