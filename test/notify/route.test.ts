import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { compileRoutes, groupKey, groupLabels, matchRoutes } from '../../src/notify/route.ts';

const config = parseNotifyConfig({
  route: {
    receiver: 'default',
    group_by: ['alertname'],
    routes: [
      { receiver: 'pager', matchers: ['severity=~"page|critical"'], group_wait: '10s', continue: true, routes: [{ receiver: 'db-pager', match: { team: 'db' }, group_by: ['...'] }] },
      { receiver: 'kafka', matchers: ['team="kafka"'], group_by: ['alertname', 'group'], group_interval: '1m' },
      { receiver: 'never', matchers: ['team="kafka"'] },
      { receiver: 'rest', match_re: { team: '.+' }, repeat_interval: '1h' },
    ],
  },
  receivers: ['default', 'pager', 'db-pager', 'kafka', 'never', 'rest'].map((name) => ({ name })),
});
const root = compileRoutes(config.route);

/** Receivers of the routes an alert with `labels` goes to. */
const receiversOf = (labels: Record<string, string>): string[] => matchRoutes(root, labels).map((r) => r.receiver);

describe('matchRoutes', () => {
  it('takes the first matching child, depth first', () => {
    assert.deepEqual(receiversOf({ alertname: 'Lag', team: 'kafka' }), ['kafka']);
    assert.deepEqual(receiversOf({ alertname: 'Lag', severity: 'page', team: 'db' }), ['db-pager', 'rest']);
  });

  it('goes on after a child with continue', () => {
    assert.deepEqual(receiversOf({ alertname: 'Lag', severity: 'critical', team: 'kafka' }), ['pager', 'kafka']);
  });

  it('falls back to the parent when no child matches', () => {
    assert.deepEqual(receiversOf({ alertname: 'Lag' }), ['default']);
    assert.deepEqual(receiversOf({ alertname: 'Lag', severity: 'page' }), ['pager']);
  });

  it('anchors regexes', () => {
    assert.deepEqual(receiversOf({ alertname: 'Lag', severity: 'pager' }), ['default']);
  });
});

describe('inheritance and group keys', () => {
  it('inherits receiver, group_by and timings', () => {
    const [pager, kafka, , rest] = root.routes;
    const dbPager = pager!.routes[0]!;
    assert.deepEqual([dbPager.groupBy, dbPager.groupWait, dbPager.groupInterval, dbPager.repeatInterval], ['all', 10_000, 300_000, 14_400_000]);
    assert.deepEqual([kafka!.groupBy, kafka!.groupWait, kafka!.groupInterval, kafka!.repeatInterval], [['alertname', 'group'], 30_000, 60_000, 14_400_000]);
    assert.deepEqual([rest!.groupBy, rest!.repeatInterval], [['alertname'], 3_600_000]);
  });

  it('groups by the listed labels an alert has, or by all of them with ...', () => {
    const labels = { alertname: 'KafkaConsumerLag', group: 'billing', cluster: 'c1', team: 'kafka' };
    const kafka = root.routes[1]!;
    assert.deepEqual(groupLabels(kafka, labels), { alertname: 'KafkaConsumerLag', group: 'billing' });
    assert.deepEqual(groupLabels(kafka, { alertname: 'X', team: 'kafka' }), { alertname: 'X' });
    assert.deepEqual(groupLabels(root.routes[0]!.routes[0]!, labels), { alertname: 'KafkaConsumerLag', cluster: 'c1', group: 'billing', team: 'kafka' });
    assert.equal(groupKey(kafka, groupLabels(kafka, labels)), '{}/{team="kafka"}:{alertname="KafkaConsumerLag", group="billing"}');
    assert.equal(groupKey(root.routes[2]!, {}), '{}/{team="kafka"}:{}');
    assert.equal(groupKey(root, { alertname: 'X' }), '{}:{alertname="X"}');
    assert.equal(root.routes[0]!.routes[0]!.key, '{}/{severity=~"page|critical"}/{team="db"}');
    assert.deepEqual([root.routes[1]!.id, root.routes[2]!.id], ['{}/1{team="kafka"}', '{}/2{team="kafka"}']);
  });
});
