import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { checkSilence, compileSilence, silencedBy, silenceState, type NewSilence } from '../../src/notify/silence-match.ts';

const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const base: NewSilence = { matchers: [{ name: 'alertname', value: 'Lag', isRegex: false, isEqual: true }], startsAt: iso(NOW), endsAt: iso(NOW + 3_600_000), createdBy: 'ops', comment: 'maintenance' };

function invalid(input: NewSilence): { path: string | undefined; message: string } {
  try {
    checkSilence(input, NOW);
  } catch (err) {
    assert.ok(isSluiceError(err, 'SLUICE_ERR_SILENCE_INVALID'), String(err));
    return { path: err.path, message: err.message };
  }
  assert.fail('expected an error');
}

describe('silence matching', () => {
  const silence = (id: string, matchers: NewSilence['matchers'], startsAt = NOW, endsAt = NOW + 1000) => compileSilence({ id, startsAt, endsAt, matchers });

  it('supports all four matcher types, regexes anchored', () => {
    const silences = [
      silence('eq', [{ name: 'team', value: 'kafka', isRegex: false, isEqual: true }]),
      silence('ne', [{ name: 'alertname', value: 'Lag', isRegex: false, isEqual: true }, { name: 'env', value: 'prod', isRegex: false, isEqual: false }]),
      silence('re', [{ name: 'group', value: 'bill.*', isRegex: true, isEqual: true }]),
      silence('nre', [{ name: 'alertname', value: 'Disk', isRegex: false, isEqual: true }, { name: 'host', value: 'db-.*', isRegex: true, isEqual: false }]),
    ];
    assert.deepEqual(silencedBy(silences, { team: 'kafka' }, NOW), ['eq']);
    assert.deepEqual(silencedBy(silences, { alertname: 'Lag', env: 'dev' }, NOW), ['ne']);
    assert.deepEqual(silencedBy(silences, { alertname: 'Lag', env: 'prod' }, NOW), []);
    assert.deepEqual(silencedBy(silences, { group: 'billing' }, NOW), ['re']);
    assert.deepEqual(silencedBy(silences, { group: 'rebilling' }, NOW), []);
    assert.deepEqual(silencedBy(silences, { alertname: 'Disk', host: 'web-1' }, NOW), ['nre']);
    assert.deepEqual(silencedBy(silences, { alertname: 'Disk', host: 'db-1' }, NOW), []);
  });

  it('applies from startsAt until endsAt, exclusive', () => {
    const s = [silence('s', [{ name: 'team', value: 'kafka', isRegex: false, isEqual: true }], NOW + 10, NOW + 20)];
    assert.deepEqual([NOW + 9, NOW + 10, NOW + 19, NOW + 20].map((t) => silencedBy(s, { team: 'kafka' }, t).length), [0, 1, 1, 0]);
    assert.deepEqual([NOW + 9, NOW + 10, NOW + 20].map((t) => silenceState(NOW + 10, NOW + 20, t)), ['pending', 'active', 'expired']);
  });
});

describe('checkSilence', () => {
  it('accepts a valid silence and starts it no earlier than now', () => {
    assert.deepEqual(checkSilence({ ...base, startsAt: iso(NOW - 5000) }, NOW), { matchers: base.matchers, startsAt: NOW, endsAt: NOW + 3_600_000, createdBy: 'ops', comment: 'maintenance' });
  });

  it('names the field of each problem', () => {
    assert.deepEqual(invalid({ ...base, endsAt: iso(NOW) }), { path: 'endsAt', message: 'endsAt: must be after startsAt' });
    assert.deepEqual(invalid({ ...base, startsAt: iso(NOW - 7200_000), endsAt: iso(NOW - 3600_000) }), { path: 'endsAt', message: 'endsAt: must be in the future' });
    assert.deepEqual(invalid({ ...base, matchers: [{ name: 'a', value: '.*', isRegex: true, isEqual: true }, { name: 'b', value: '', isRegex: false, isEqual: true }] }), {
      path: 'matchers',
      message: 'matchers: at least one matcher must not match the empty string, or the silence would mute every alert',
    });
    assert.deepEqual(invalid({ ...base, matchers: [base.matchers[0]!, { name: 'a', value: '(', isRegex: true, isEqual: true }] }), { path: 'matchers[1].value', message: 'matchers[1].value: invalid regular expression "(": missing closing ): `(`' });
    assert.deepEqual(invalid({ ...base, createdBy: '' }).path, 'createdBy');
    assert.deepEqual(invalid({ ...base, matchers: [] }).path, 'matchers');
  });
});
