import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { formatG, sprintf } from '../../src/rules/go-format.ts';
import { humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp } from '../../src/rules/template-funcs.ts';
import { expandTemplate, parseTemplate, type TemplateData } from '../../src/rules/template.ts';

const data: TemplateData = {
  labels: { __name__: 'kafka_lag', job: 'kafka', instance: 'b1:9092', group: 'billing' },
  externalLabels: { cluster: 'prod-eu' },
  externalURL: 'http://sluice:8080',
  value: 1234567,
};

function expand(text: string, d: TemplateData = data): Promise<string> {
  return expandTemplate(parseTemplate(text, 'test'), d);
}

describe('alert templates', () => {
  test('labels, value and external labels, by variable and by field', async () => {
    assert.equal(await expand('{{ $labels.job }}/{{ .Labels.instance }} {{ $value }} {{ .Value }} {{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }} {{ $externalURL }}'), 'kafka/b1:9092 1.234567e+06 1.234567e+06 prod-eu prod-eu http://sluice:8080');
    assert.equal(await expand('[{{ $labels.missing }}]'), '[]');
    assert.equal(await expand('{{ $labels.__name__ }}'), 'kafka_lag');
  });

  test('$value prints as Go prints a float64', async () => {
    const v = (value: number): Promise<string> => expand('{{ $value }}', { ...data, value });
    assert.deepEqual(await Promise.all([v(0), v(1), v(0.5), v(100000), v(123456.7), v(1e6), v(0.0001), v(0.00001), v(NaN), v(Infinity), v(-Infinity), v(0.1 + 0.2)]), ['0', '1', '0.5', '100000', '123456.7', '1e+06', '0.0001', '1e-05', 'NaN', '+Inf', '-Inf', '0.30000000000000004']);
  });

  test('pipelines and functions', async () => {
    assert.equal(await expand('{{ $value | humanize }} {{ humanize1024 1048576 }} {{ 0.1234 | humanizePercentage }} {{ humanizeDuration 90 }} {{ 1710072000 | humanizeTimestamp }}'), '1.235M 1Mi 12.34% 1m 30s 2024-03-10 12:00:00 +0000 UTC');
    assert.equal(await expand('{{ printf "%.2f" $value }} {{ $value | printf "%.1f" }} {{ printf "%s=%d" "n" 3 }}'), '1234567.00 1234567.0 n=3');
    assert.equal(await expand('{{ $labels.job | toUpper }} {{ "ABC" | toLower }} {{ "consumer lag high" | title }}'), 'KAFKA abc Consumer Lag High');
    assert.equal(await expand('{{ (printf "%s:%s" $labels.job $labels.group) | toUpper }}'), 'KAFKA:BILLING');
  });

  test('if/else if/else, with, comparisons and variables', async () => {
    const t = '{{ if gt $value 1000000.0 }}huge{{ else if gt $value 1000.0 }}big{{ else }}small{{ end }}';
    assert.equal(await expand(t), 'huge');
    assert.equal(await expand(t, { ...data, value: 5000 }), 'big');
    assert.equal(await expand(t, { ...data, value: 5 }), 'small');
    assert.equal(await expand('{{ if eq $labels.job "kafka" "zk" }}yes{{ end }}{{ if ne $labels.job "kafka" }}no{{ end }}'), 'yes');
    assert.equal(await expand('{{ with $labels.group }}group {{ . }}{{ else }}none{{ end }}|{{ with $labels.nothing }}x{{ else }}none{{ end }}'), 'group billing|none');
    assert.equal(await expand('{{ $g := $labels.group }}{{ $g }}-{{ $g }}'), 'billing-billing');
    assert.equal(await expand('{{ if and (lt $value 2e6) (ge $value 1.0) }}in{{ end }}{{ if not false }}!{{ end }}'), 'in!');
  });

  test('range over a map by sorted key, with and without variables; else when empty', async () => {
    assert.equal(await expand('{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}'), '__name__=kafka_lag;group=billing;instance=b1:9092;job=kafka;');
    assert.equal(await expand('{{ range $labels }}[{{ . }}]{{ end }}'), '[kafka_lag][billing][b1:9092][kafka]');
    assert.equal(await expand('{{ range $v := $externalLabels }}{{ $v }}{{ end }}'), 'prod-eu');
    assert.equal(await expand('{{ range $k, $v := $labels }}x{{ else }}none{{ end }}', { ...data, labels: {} }), 'none');
  });

  test('query: its samples by .Labels and .Value, first, value, label and sortByLabel', async () => {
    const samples = [{ Labels: { instance: 'b2' }, Value: 2 }, { Labels: { instance: 'b1' }, Value: 1500 }];
    const seen: string[] = [];
    const withQuery: TemplateData = { ...data, query: async (expr) => (seen.push(expr), samples) };
    assert.equal(await expand('{{ with query (printf "up{job=%q}" $labels.job) }}{{ . | first | value | humanize }}{{ end }}', withQuery), '2');
    assert.equal(await expand('{{ range query "up" | sortByLabel "instance" }}{{ label "instance" . }}={{ .Value }} {{ end }}', withQuery), 'b1=1500 b2=2 ');
    assert.deepEqual(seen, ['up{job="kafka"}', 'up']);
    await assert.rejects(expand('{{ query "up" | first }}', { ...data, query: async () => [] }), { message: 'error executing template test: template: test:1:128: executing "test" at <first>: error calling first: first() called on vector with no elements' });
  });

  test('{{- and -}} trim the whitespace beside them; comments print nothing', async () => {
    assert.equal(await expand('a  {{- $labels.job -}}  b {{/* note */}}c'), 'akafkab c');
    assert.equal(await expand('{{ if true -}}\n  yes\n{{- end }}'), 'yes');
  });

  test('parse errors name the template and line', async () => {
    const message = (text: string): string => {
      try {
        parseTemplate(text, '__alert_Lag');
      } catch (err) {
        assert.ok(isSluiceError(err, 'SLUICE_ERR_RULES_TEMPLATE'));
        return err.message;
      }
      return 'no error';
    };
    assert.equal(message('{{ $labels.job'), 'template: __alert_Lag:1: unclosed action');
    assert.equal(message('x\n{{ nope $value }}'), 'template: __alert_Lag:2: function "nope" not defined');
    assert.equal(message('{{ if true }}x'), 'template: __alert_Lag:1: unexpected EOF');
    assert.equal(message('{{ end }}'), 'template: __alert_Lag:1: unexpected {{end}}');
    assert.equal(message('{{ define "x" }}{{ end }}'), 'template: __alert_Lag:1: {{define}} is not supported in alert templates');
  });

  test('a failing function is an expansion error worded as Prometheus words it: template, line:col, command, cause', async () => {
    await assert.rejects(expand('{{ humanize "abc" }}'), { message: 'error executing template test: template: test:1:115: executing "test" at <humanize "abc">: error calling humanize: strconv.ParseFloat: parsing "abc": invalid syntax' });
    await assert.rejects(expand('{{ gt $labels.job 1.0 }}'), { message: 'error executing template test: template: test:1:115: executing "test" at <gt $labels.job 1.0>: error calling gt: incompatible types for comparison' });
  });
});

describe('Prometheus formatting functions', () => {
  test('humanize', async () => {
    assert.deepEqual([0, 1, 1234, 1234567, 0.001234, -5500, NaN, Infinity].map(humanize), ['0', '1', '1.234k', '1.235M', '1.234m', '-5.5k', 'NaN', '+Inf']);
  });
  test('humanize1024', async () => {
    assert.deepEqual([0.5, 1024, 1536, 1073741824].map(humanize1024), ['0.5', '1ki', '1.5ki', '1Gi']);
  });
  test('humanizeDuration', async () => {
    assert.deepEqual([0, 1.5, 59, 90, 3600, 90061, 0.25, 0.0012, -90].map(humanizeDuration), ['0s', '1.5s', '59s', '1m 30s', '1h 0m 0s', '1d 1h 1m 1s', '250ms', '1.2ms', '-1m 30s']);
  });
  test('humanizePercentage and humanizeTimestamp', async () => {
    assert.deepEqual([0.1234, 1, 0.5].map(humanizePercentage), ['12.34%', '100%', '50%']);
    assert.equal(humanizeTimestamp(1.5), '1970-01-01 00:00:01.5 +0000 UTC');
  });
  test('%g and printf', async () => {
    assert.deepEqual([formatG(1234.5678, 4), formatG(100, 4), formatG(0.5, 4), formatG(999.95, 4)], ['1235', '100', '0.5', '1000']);
    assert.deepEqual([sprintf('%.1f', [2.25]), sprintf('%.0f', [2.5]), sprintf('%.0f', [3.5]), sprintf('%.2f', [1.005]), sprintf('%.3e', [12345]), formatG(12345, 4)], ['2.2', '2', '4', '1.00', '1.234e+04', '1.234e+04'], 'exact halves round to even, as Go does');
    assert.equal(sprintf('%5.1f|%-4s|%04d|%x|%q|%v|%%|%d', [2.75, 'ab', 7, 255, 'q', true, 'x']), '  2.8|ab  |0007|ff|"q"|true|%|%!d(string=x)');
  });
});

describe('template variables', () => {
  test('an undefined variable is a parse error; declared ones are known after their declaration', async () => {
    assert.throws(() => parseTemplate('{{ $valeu }}', '__alert_A'), { message: 'template: __alert_A:1: undefined variable "$valeu"' });
    assert.equal(await expandTemplate(parseTemplate('{{ $n := 2.0 }}{{ if gt $value $n }}more{{ end }}', 't'), { labels: {}, externalLabels: {}, externalURL: '', value: 3 }), 'more');
  });
});

describe('Go edge cases of the formatting functions', () => {
  test('humanizeDuration past int64 and humanizeTimestamp by float nanoseconds, as Prometheus computes them', () => {
    assert.equal(humanizeDuration(1e21), '-106751991167300d -15h -30m -8s');
    assert.equal(humanizeTimestamp(1710072000.123), '2024-03-10 12:00:00.122 +0000 UTC');
    assert.throws(() => humanizeTimestamp(1e10), { message: '1e+10 cannot be represented as a nanoseconds timestamp since it overflows int64' });
  });
});
