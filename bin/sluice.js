#!/usr/bin/env node
// The `sluice` executable: runs the TypeScript sources directly (no build step) by registering
// tsx's ESM loader, then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
