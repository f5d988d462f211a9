// Entry of the worker thread fixture-thread.ts starts. Plain JavaScript, because on Node 20 a
// worker does not inherit the TypeScript loader of the test process: it registers tsx itself,
// then loads the replaying part.
import { register } from 'tsx/esm/api';

register();
await import('./fixture-thread-body.ts');
