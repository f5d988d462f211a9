/**
 * Writes dashboards/json/*.json and dashboards/json-prometheus/*.json from the board sources
 * (`npm run gen:dashboards`); with `--check` writes nothing and exits 1 when a file differs from
 * what the sources give.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOARD_SETS, buildDashboards, render } from './index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const set of BOARD_SETS) {
  const dir = join(root, set.dir);
  await mkdir(dir, { recursive: true });
  for (const [file, d] of buildDashboards(set.boards)) {
    const path = join(dir, file);
    const text = render(d);
    const old = await readFile(path, 'utf8').catch(() => undefined);
    if (old === text) continue;
    if (check) {
      console.error(`${path}: differs from dashboards/build; run npm run gen:dashboards`);
      stale++;
    } else {
      await writeFile(path, text);
      console.log(`wrote ${path}`);
    }
  }
}
process.exitCode = stale > 0 ? 1 : 0;
