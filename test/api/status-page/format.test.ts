/**
 * How the status page writes times, rates, counts and durations, and how it escapes untrusted
 * text and fills its shell: exact strings for each case, the odd ones (NUL, lone surrogates,
 * `$&` in filled-in text, negative counts, rounding at unit boundaries) included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatPercent, formatRate, formatSeconds, formatTime, formatWindow } from '../../../src/api/status-page/format.ts';
import { checkShell, fillShell, href, text, wellFormed } from '../../../src/api/status-page/html.ts';

test('times with their date and UTC offset', () => {
  assert.equal(formatTime(Date.UTC(2026, 11, 6, 22, 15, 3, 999)), '2026-12-06 22:15:03 +00:00');
  assert.equal(formatTime(0), '1970-01-01 00:00:00 +00:00');
  assert.equal(formatTime(Number.NaN), 'n/a');
});

test('rates, counts, percentages, durations and windows', () => {
  assert.deepEqual([0, 1023, 1024, 51_200, 102_400, 1_048_576, 1.5 * 1024 ** 3].map(formatRate), ['0 B/s', '1023 B/s', '1.0 KiB/s', '50.0 KiB/s', '100 KiB/s', '1.0 MiB/s', '1.5 GiB/s']);
  assert.equal(formatRate(null), 'unset');
  assert.deepEqual([0, 999, 1000, 1_234_567, -4321, 2.6].map(formatCount), ['0', '999', '1,000', '1,234,567', '-4,321', '3']);
  assert.deepEqual([null, Number.NaN].map(formatCount), ['n/a', 'n/a']);
  assert.deepEqual([0.2, 0.2934, 1, null].map(formatPercent), ['20%', '29%', '100%', 'n/a']);
  assert.deepEqual([0, 0.04, 12.5, 59.94, 59.96, 75, 3599.4, 3600, 7500, 86_400 + 4 * 3600, null].map(formatSeconds), [
    '0.0 s', '0.0 s', '12.5 s', '59.9 s', '1 min 00 s', '1 min 15 s', '59 min 59 s', '1 h 00 min', '2 h 05 min', '1 d 04 h', 'n/a',
  ]);
  assert.deepEqual([300, 90, 7200].map(formatWindow), ['5 min', '90 s', '2 h']);
});

test('untrusted text: markup and quotes escaped, controls as control pictures, lone surrogates as U+FFFD', () => {
  assert.equal(text(`<script>alert("x")</script>&'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  assert.equal(text('a\u0000b\nc\td\u007f'), 'a\u2400b\u240ac\u2409d\u2421');
  assert.equal(text('\ud800x\udc00 \ud83d\ude00'), '\ufffdx\ufffd \ud83d\ude00', 'a pair is kept, halves are replaced');
  assert.equal(wellFormed('\udbff'), '\ufffd');
  assert.equal(href('/groups', { cluster: 'east', group: `a&b "c"/'d'` }), '/groups?cluster=east&amp;group=a%26b%20%22c%22%2F&#39;d&#39;');
});

test('the shell: each slot once, filled in one pass', () => {
  const shell = '<title>{{title}}</title><body data-refresh-ms="{{refreshMs}}">{{updated}}<main>{{main}}</main>';
  checkShell(shell);
  assert.equal(
    fillShell(shell, { title: 'a <b>', refreshMs: 1500.4, updated: '<p>{{main}}</p>', main: '$& $1 {{title}}' }),
    '<title>a &lt;b&gt;</title><body data-refresh-ms="1500"><p>{{main}}</p><main>$& $1 {{title}}</main>',
  );
  assert.throws(() => checkShell('{{title}}{{refreshMs}}{{updated}}'), { message: 'status page template: expected {{main}} once, found it 0 times' });
  assert.throws(() => checkShell('{{title}}{{title}}{{refreshMs}}{{updated}}{{main}}'), { message: 'status page template: expected {{title}} once, found it 2 times' });
});
