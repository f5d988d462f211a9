import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { compileInhibitRules, inhibited } from '../../src/notify/inhibit.ts';

const rules = compileInhibitRules(
  parseNotifyConfig({
    route: { receiver: 'r' },
    receivers: [{ name: 'r' }],
    inhibit_rules: [
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['cluster', 'group'] },
      { source_matchers: ['alertname="ClusterDown"'], target_matchers: ['alertname=~".+"'], equal: ['cluster'] },
    ],
  }).inhibit_rules,
);

const alert = (fingerprint: string, labels: Record<string, string>, firing = true) => ({ fingerprint, labels, firing });

describe('inhibited', () => {
  it('mutes targets with equal labels while the source fires', () => {
    const alerts = [
      alert('a', { alertname: 'Lag', severity: 'critical', cluster: 'c1', group: 'billing' }),
      alert('b', { alertname: 'Lag', severity: 'warning', cluster: 'c1', group: 'billing' }),
      alert('c', { alertname: 'Lag', severity: 'warning', cluster: 'c1', group: 'orders' }),
      alert('d', { alertname: 'Lag', severity: 'warning', cluster: 'c2', group: 'billing' }),
    ];
    assert.deepEqual([...inhibited(rules, alerts)], [['b', 'a']]);
  });

  it('counts a label missing on both sides as equal', () => {
    const alerts = [alert('a', { severity: 'critical' }), alert('b', { severity: 'warning' }), alert('c', { severity: 'warning', group: 'x' })];
    assert.deepEqual([...inhibited(rules, alerts)], [['b', 'a']]);
  });

  it('does not let a resolved source inhibit', () => {
    const alerts = [alert('a', { severity: 'critical', cluster: 'c1' }, false), alert('b', { severity: 'warning', cluster: 'c1' })];
    assert.deepEqual([...inhibited(rules, alerts)], []);
  });

  it('never lets an alert inhibit itself', () => {
    const alerts = [alert('down', { alertname: 'ClusterDown', cluster: 'c1' }), alert('lag', { alertname: 'Lag', cluster: 'c1' })];
    assert.deepEqual([...inhibited(rules, alerts)], [['lag', 'down']]);
    assert.deepEqual([...inhibited(rules, [alerts[0]!])], []);
  });
});
