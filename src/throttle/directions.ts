/**
 * Which way the pressure runs, pure: the directions (produce, consume) whose clients a pressured
 * round may limit, from each broker's network in and out against the target.
 */
import { QUOTA_KEY, entityKey } from '../kafka/quota.ts';
import type { Direction } from './capacity.ts';
import { entityOf } from './client-history.ts';
import { KAFKA_QUOTA_WINDOW_MS } from './demand.ts';
import type { BrokerReading, ClientReading } from './signals.ts';

/**
 * The directions whose clients a pressured round may limit. Each direction has its own network
 * (a broker's capacity in and out, as the brokers report them): when some broker's network in
 * one direction is over the target and the other direction's is not on any broker, the pressure
 * is that direction's and only its clients are limited, so that producers are not throttled
 * because consumers fill the brokers' network out, nor consumers because producers fill the
 * network in. When both networks are over, producers come first: consumers read what is
 * produced (and replicas fetch it), so limiting producers relieves network out as well; consumers
 * are limited once network out is still over with network in back under the target, or once the
 * producers are done (see `producersSettled`): a group reading a backlog fills network out
 * whatever producers do, and would otherwise wait for as long as a throttled producer's bursts
 * keep network in over. When no network is over (the pressure comes from request handlers,
 * queueing, latency or alerts) both directions are.
 */
export function pressuredDirections(brokers: readonly BrokerReading[], target: number): Direction[] {
  const produce = networkOver(brokers, 'produce', target);
  const consume = networkOver(brokers, 'consume', target);
  if (produce) return ['produce'];
  if (consume) return ['consume'];
  return ['produce', 'consume'];
}

/** Whether some broker's network of this direction (in for produce, out for consume) is over the target. */
export function networkOver(brokers: readonly BrokerReading[], direction: Direction, target: number): boolean {
  return brokers.some((b) => (direction === 'produce' ? b.bytesIn / b.capacityIn : b.bytesOut / b.capacityOut) > target);
}

/**
 * Whether the producers are done being limited, when both networks are over the target: none is
 * to be limited further this round (`unsettled`: producers with a material cut proposed), none is
 * over its allocation with no change left to cut it (`over`: its excess is not the consumers'
 * to pay for), and no producer quota changed within the brokers' last quota window (what a new
 * limit does to the traffic shows only once that window has turned over). Then what still fills network out is
 * the consumers' own (a group reading a backlog, not what is produced now), and waiting longer
 * for the producers would not bring it down.
 */
export function producersSettled(clients: readonly ClientReading[], lastChanged: ReadonlyMap<string, number>, unsettled: readonly string[], over: readonly string[], now: number, quotaWindowMs = KAFKA_QUOTA_WINDOW_MS): { ok: boolean; why: string } {
  if (unsettled.length > 0) return { ok: false, why: `producers come first, and ${unsettled.join(', ')} ${unsettled.length === 1 ? 'is' : 'are'} limited this round` };
  if (over.length > 0) return { ok: false, why: `${over.join(', ')} ${over.length === 1 ? 'is' : 'are'} over ${over.length === 1 ? 'its allocation' : 'their allocations'} and not limited further (the episode's last change is kept): network out is not the consumers' to give back` };
  const recent: string[] = [];
  for (const key of new Set(clients.filter((c) => c.direction === 'produce').map((c) => entityKey(entityOf(c.user, c.clientId))))) {
    const at = lastChanged.get(`${key}|${QUOTA_KEY.produce}`);
    if (at !== undefined && now - at < quotaWindowMs) recent.push(`${key} ${((now - at) / 1000).toFixed(0)} s ago`);
  }
  if (recent.length > 0) return { ok: false, why: `producer quotas changed within the last quota window (${quotaWindowMs / 1000} s): ${recent.join(', ')}` };
  return { ok: true, why: 'every producer over its allocation is held at it' };
}
