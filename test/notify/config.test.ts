import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { parseNotifyConfig, parseNotifyConfigYaml } from '../../src/notify/config.ts';
import { parseDuration } from '../../src/duration.ts';

/** The message of the SluiceError `fn` throws, after checking its code and path. */
function problems(fn: () => unknown, path: string): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isSluiceError(err, 'SLUICE_ERR_NOTIFY_CONFIG'), String(err));
    assert.equal(err.path, path);
    return err.message;
  }
  assert.fail('expected an error');
}

const receivers = [{ name: 'ops', webhook_configs: [{ url: 'http://127.0.0.1:1/hook' }] }, { name: 'db' }];

describe('parseDuration', () => {
  it('reads Prometheus durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration('30m1h'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});

describe('parseNotifyConfig', () => {
  it('fills in Alertmanager defaults', () => {
    const config = parseNotifyConfig({ route: { receiver: 'ops' }, receivers });
    assert.deepEqual(config.route, { receiver: 'ops', matchers: [], continue: false, routes: [] });
    assert.deepEqual(config.receivers[0], {
      name: 'ops',
      email_configs: [],
      webhook_configs: [{ url: 'http://127.0.0.1:1/hook', send_resolved: true, max_alerts: 0, timeout: 10_000 }],
      alertmanager_configs: [],
    });
    assert.deepEqual(config.inhibit_rules, []);
    assert.equal(config.external_url, '');
  });

  it('parses matchers, match and match_re, durations and nested routes', () => {
    const config = parseNotifyConfig({
      route: {
        receiver: 'ops',
        group_by: ['alertname'],
        group_wait: '10s',
        routes: [{ receiver: 'db', matchers: ['severity=~"page|critical"', 'team != kafka'], match: { env: 'prod' }, match_re: { dc: 'eu-.*' }, repeat_interval: '1h', continue: true }],
      },
      receivers,
    });
    assert.equal(config.route.group_wait, 10_000);
    assert.deepEqual(config.route.routes[0], {
      receiver: 'db',
      matchers: [
        { name: 'severity', type: '=~', value: 'page|critical' },
        { name: 'team', type: '!=', value: 'kafka' },
        { name: 'env', type: '=', value: 'prod' },
        { name: 'dc', type: '=~', value: 'eu-.*' },
      ],
      repeat_interval: 3_600_000,
      continue: true,
      routes: [],
    });
  });

  it('names the path of a route referring to an unknown receiver', () => {
    const message = problems(() => parseNotifyConfig({ route: { receiver: 'ops', routes: [{ routes: [{ receiver: 'nobody' }] }] }, receivers }), 'route.routes[0].routes[0].receiver');
    assert.equal(message, 'route.routes[0].routes[0].receiver: no receiver named "nobody" in receivers');
  });

  it('reports bad durations, matchers, unknown keys and duplicate receivers at their paths', () => {
    const message = problems(
      () =>
        parseNotifyConfig({
          route: { receiver: 'ops', group_interval: '5 minutes', routes: [{ matchers: ['severity'] }] },
          receivers: [...receivers, { name: 'ops', webhook_configs: [{ url: 'http://x/', hmac_secret: 'k', retries: 3 }] }],
        }),
      'route.group_interval',
    );
    assert.equal(
      message,
      [
        'route.group_interval: expected a duration such as 30s, 5m or 4h, got "5 minutes"',
        'route.routes[0].matchers[0]: expected a matcher such as severity="page" or team=~"db|kafka", got "severity"',
        'receivers[2].webhook_configs[0].retries: unknown key',
      ].join('\n'),
    );
  });

  it('refuses two receivers with one name', () => {
    const message = problems(() => parseNotifyConfig({ route: { receiver: 'ops' }, receivers: [...receivers, { name: 'ops' }] }), 'receivers[2].name');
    assert.equal(message, 'receivers[2].name: duplicate receiver name "ops" (also receivers[0])');
  });

  it('refuses a root route without receiver, and one with matchers', () => {
    const message = problems(() => parseNotifyConfig({ route: { matchers: ['a="1"'] }, receivers }), 'route.receiver');
    assert.equal(message, 'route.receiver: missing, the root route must name a receiver\nroute.matchers: the root route must not have matchers: it receives every alert');
  });

  it('never echoes an SMTP password', () => {
    const message = problems(
      () => parseNotifyConfig({ route: { receiver: 'ops' }, receivers: [{ name: 'ops', email_configs: [{ to: 'a@b', from: 'c@d', smarthost: 'mail:25', auth_password: ['hunter2'] }] }] }),
      'receivers[0].email_configs[0].auth_password',
    );
    assert.ok(!message.includes('hunter2'), message);
  });
});

describe('parseNotifyConfigYaml', () => {
  it('reads Alertmanager YAML and places problems at file:line:col', () => {
    const yaml = [
      'route:',
      '  receiver: ops',
      '  group_by: [alertname, group]',
      '  routes:',
      '    - matchers: [\'severity="page"\']',
      '      receiver: pager',
      'receivers:',
      '  - name: ops',
      '    webhook_configs:',
      '      - url: http://127.0.0.1:9000/hook',
      '',
    ].join('\n');
    assert.throws(() => parseNotifyConfigYaml(yaml, 'notify.yml'), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.message === 'notify.yml:6:17: route.routes[0].receiver: no receiver named "pager" in receivers');
    const config = parseNotifyConfigYaml(yaml.replace('receiver: pager', 'receiver: ops'));
    assert.deepEqual(config.route.routes[0]!.matchers, [{ name: 'severity', type: '=', value: 'page' }]);
    assert.ok(Object.isFrozen(config.route));
  });
});
