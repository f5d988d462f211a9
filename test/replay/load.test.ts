import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isSluiceError } from '../../src/errors.ts';
import { isStaleMarker, staleMarker } from '../../src/replay/format.ts';
import { loadFixture } from '../../src/replay/load.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { fixtureOf, regularSeries, T0, tempDir } from './support.ts';

function sample() {
  const up = regularSeries('sluice_cluster_broker_up', { cluster: 'c1', broker: '1' }, T0, 10_000, 4, (i) => (i === 2 ? 0 : 1));
  const odd = regularSeries('kafka_log_log_size', { cluster: 'c1', topic: 'orders', partition: '0' }, T0, 10_000, 4, (i) => [1.5, NaN, Infinity, -Infinity][i]!);
  const stale = regularSeries('node_load1', { cluster: 'c1', instance: 'b0' }, T0, 10_000, 2, (i) => (i === 0 ? 0.25 : staleMarker()));
  const fixture = fixtureOf([up, odd, stale], { to: T0 + 30_000 });
  return { ...fixture, events: [{ ts: T0 + 20_000, kind: 'broker_down', subject: 'broker 1', details: { reason: 'stopped' } }] };
}

/** Writes a valid fixture and returns its directory. */
async function written(): Promise<string> {
  const dir = await tempDir();
  await writeFixture(dir, sample());
  return dir;
}

async function rewriteSeries(dir: string, edit: (lines: string[]) => string[]): Promise<void> {
  const path = join(dir, 'series.jsonl.gz');
  const lines = gunzipSync(await readFile(path)).toString('utf8').split('\n').slice(0, -1);
  await writeFile(path, gzipSync(`${edit(lines).join('\n')}\n`));
}

async function loadError(dir: string): Promise<{ code: string; message: string; path: string | undefined }> {
  try {
    await loadFixture(dir);
  } catch (err) {
    assert.ok(isSluiceError(err), `expected a SluiceError, got ${String(err)}`);
    return { code: err.code, message: err.message, path: err.path };
  }
  assert.fail('the fixture loaded');
}

describe('fixture files', () => {
  test('what is written loads back the same, special values and events included, and writes the same bytes again', async () => {
    const dir = await written();
    const loaded = await loadFixture(dir);
    assert.equal(loaded.meta.seriesCount, 3);
    assert.equal(loaded.meta.sampleCount, 10);
    assert.deepEqual(loaded.series.map((s) => s.metric), ['kafka_log_log_size', 'node_load1', 'sluice_cluster_broker_up']);
    assert.deepEqual(Array.from(loaded.series[0]!.values), [1.5, NaN, Infinity, -Infinity]);
    assert.equal(isStaleMarker(loaded.series[1]!.values[1]!), true);
    assert.equal(isStaleMarker(loaded.series[0]!.values[1]!), false);
    assert.deepEqual(Array.from(loaded.series[2]!.ts), [T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    assert.deepEqual(loaded.events, [{ ts: T0 + 20_000, kind: 'broker_down', subject: 'broker 1', details: { reason: 'stopped' } }]);
    const line = gunzipSync(await readFile(join(dir, 'series.jsonl.gz'))).toString('utf8').split('\n')[2];
    assert.equal(line, `{"metric":"sluice_cluster_broker_up","labels":{"broker":"1","cluster":"c1"},"start":${T0},"dt":[10000,10000,10000],"values":[1,1,0,1]}`);
    const again = await tempDir();
    await writeFixture(again, loaded);
    for (const file of ['fixture.json', 'series.jsonl.gz', 'events.jsonl']) {
      assert.deepEqual(await readFile(join(again, file)), await readFile(join(dir, file)), file);
    }
  });

  test('a truncated series file names the line where the data stops', async () => {
    const dir = await written();
    const path = join(dir, 'series.jsonl.gz');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 12));
    const err = await loadError(dir);
    assert.equal(err.code, 'SLUICE_ERR_FIXTURE_INVALID');
    assert.match(err.message, new RegExp(`^${path.replaceAll('.', '\\.')}:\\d+: truncated: the compressed data ends after \\d+ complete lines?$`));
  });

  test('an unknown version is refused, naming fixture.json and the line', async () => {
    const dir = await written();
    const path = join(dir, 'fixture.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"version": 1', '"version": 7'));
    const err = await loadError(dir);
    assert.equal(err.message, `${path}:3: version: unknown fixture version 7: this Sluice reads version 1`);
    assert.equal(err.path, `${path}:3`);
  });

  test('timestamps that do not rise are refused at their line and sample', async () => {
    const dir = await written();
    await rewriteSeries(dir, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"dt":[10000,10000,10000]', '"dt":[10000,-5000,10000]') : l)));
    const err = await loadError(dir);
    assert.equal(err.message, `${join(dir, 'series.jsonl.gz')}:3: sluice_cluster_broker_up: sample 3: time ${T0 + 5000} is not after the previous sample's ${T0 + 10_000} (timestamps must rise)`);
  });

  test('bad labels are refused at their line: an invalid name, a non-string value, another cluster', async () => {
    const cases: [string, string, string][] = [
      ['"broker":"1"', '"1broker":"1"', 'sluice_cluster_broker_up: label name "1broker" is invalid (letters, digits and _, not starting with a digit or __)'],
      ['"broker":"1"', '"broker":1', 'sluice_cluster_broker_up: label broker: expected a string value, got 1'],
      ['"cluster":"c1"', '"cluster":"c2"', 'sluice_cluster_broker_up: label cluster is "c2", the fixture\'s cluster is "c1"'],
    ];
    for (const [from, to, message] of cases) {
      const dir = await written();
      await rewriteSeries(dir, (lines) => lines.map((l, i) => (i === 2 ? l.replace(from, to) : l)));
      const err = await loadError(dir);
      assert.equal(err.message, `${join(dir, 'series.jsonl.gz')}:3: ${message}`);
    }
  });

  test('a repeated series, a bad value and counts that disagree with the metadata are refused', async () => {
    let dir = await written();
    await rewriteSeries(dir, (lines) => [...lines, lines[0]!]);
    assert.equal((await loadError(dir)).message, `${join(dir, 'series.jsonl.gz')}:4: kafka_log_log_size: the same series as line 1`);
    dir = await written();
    await rewriteSeries(dir, (lines) => lines.map((l, i) => (i === 0 ? l.replace('"NaN"', '"lots"') : l)));
    assert.equal((await loadError(dir)).message, `${join(dir, 'series.jsonl.gz')}:1: kafka_log_log_size: sample 2: value "lots" is not a number (or "NaN", "+Inf", "-Inf", "stale")`);
    dir = await written();
    await rewriteSeries(dir, (lines) => lines.slice(1));
    assert.equal((await loadError(dir)).message, `${join(dir, 'fixture.json')}:15: says 3 series and 10 samples, series.jsonl.gz holds 2 and 6`);
  });

  test('a missing file is a SLUICE_ERR_FIXTURE_FILE naming it', async () => {
    const dir = await tempDir();
    const err = await loadError(dir);
    assert.equal(err.code, 'SLUICE_ERR_FIXTURE_FILE');
    assert.equal(err.message, `${join(dir, 'fixture.json')}: no such file`);
  });
});
