#!/usr/bin/env node
// The `sluice` executable: runs the TypeScript sources directly (no build step) by registering
// tsx's ESM loader, then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
// Tracing (when OTEL_* asks for it) must hook module loading before the service's modules load.
await import('../src/telemetry/preload.ts');
const { main } = await import('../src/cli/main.ts');
await main();
