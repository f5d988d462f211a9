// Entry of the worker thread that runs API replays (src/api/replay-thread.ts). Plain JavaScript,
// because on Node 20 a worker does not inherit the TypeScript loader the main thread registered
// (by `--import tsx` or by bin/sluice.js): it registers tsx itself, then loads the job runner.
import { register } from 'tsx/esm/api';

register();
await import('./job-thread.ts');
