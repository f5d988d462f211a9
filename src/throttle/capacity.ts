/**
 * Client capacity, pure: how many bytes per second of produce, or of consumer fetches, one broker
 * can take at the target utilization, the other direction held where it is. Client bytes are
 * what quotas bound; brokers also move replication bytes, which follow produce:
 * - produce of P bytes/s on a broker brings α·P of replication in (the broker as a follower)
 *   and β·P of replication out (followers fetching from it as a leader), α and β read off the
 *   broker's own traffic now (the cluster's, when the broker takes no produce);
 * - consumer fetches load only network out (and handlers);
 * - on network out, consumer fetches get what replication leaves at the target; replication, as
 *   the produce bound, gets what consumers leave, but never less than half the room or what it
 *   takes now, whichever is less (max-min between the two flows), so that consumers reading a
 *   backlog do not make the produce capacity 0.
 * Each resource the direction loads gives a bound, and the least is the capacity, with the
 * resource that set it, so that an explanation can name it. The handlers' bound counts only on a
 * broker whose handlers are busier than its network now: where the network is the busier one,
 * handler time includes waiting on it, and a fit over such a window takes that wait for a cost of
 * the traffic itself (a saturated network made handlers look like the bottleneck at a third of
 * the network's capacity).
 */
import { resourcesAt, type LoadModel } from './model.ts';

/** A direction of client traffic. */
export type Direction = 'produce' | 'consume';

/** One broker's traffic now, split into client and replication bytes. */
export interface BrokerTraffic {
  readonly clientIn: number;
  readonly clientOut: number;
  readonly replicationIn: number;
  readonly replicationOut: number;
  readonly requests: number;
}

/** Replication bytes per client byte produced: in (α) and out (β). */
export interface Amplification {
  readonly in: number;
  readonly out: number;
}

/** A capacity and the resource that set it. */
export interface ClientCapacity {
  readonly bytesPerSec: number;
  /** `network in`, `network out`, `handlers`, or `none` (nothing this direction loads is bounded). */
  readonly bound: 'network in' | 'network out' | 'handlers' | 'none';
}

/** Replication per produced byte on a broker, or the cluster's when the broker takes no produce. */
export function amplificationOf(broker: BrokerTraffic, cluster: readonly BrokerTraffic[]): Amplification {
  const sum = (pick: (b: BrokerTraffic) => number) => cluster.reduce((s, b) => s + pick(b), 0);
  const produced = broker.clientIn > 0 ? broker.clientIn : sum((b) => b.clientIn);
  if (!(produced > 0)) return { in: 0, out: 0 };
  return broker.clientIn > 0
    ? { in: broker.replicationIn / produced, out: broker.replicationOut / produced }
    : { in: sum((b) => b.replicationIn) / produced, out: sum((b) => b.replicationOut) / produced };
}

/**
 * Client bytes/s of `direction` the broker can take with its busiest resource at `target`, less
 * `marginStd` residual standard deviations of the handler fit (default 2); 0 when it is over
 * already. The network bounds are identities and carry no margin.
 */
export function clientCapacity(model: LoadModel, traffic: BrokerTraffic, direction: Direction, target: number, amp: Amplification, handlersBusiest = true, marginStd = 2): ClientCapacity {
  const bounds: ClientCapacity[] = [];
  const P = traffic.clientIn;
  const C = traffic.clientOut;
  const net = model.network;
  if (direction === 'produce') {
    bounds.push({ bytesPerSec: (target * net.bytesInPerSec) / (1 + amp.in), bound: 'network in' });
    if (amp.out > 0) {
      // Network out is shared by two flows, replication (which follows produce) and consumer
      // fetches; consumer fetches are held where they are, but at no more than the larger of
      // half the room at the target and what replication leaves them now: when consumers alone
      // take it over, limiting producers cannot bring it back (a replay reading a backlog does
      // not slow with them), and producers are not cut below half of it for them.
      const room = target * net.bytesOutPerSec;
      const held = Math.min(C, Math.max(room / 2, room - amp.out * P));
      bounds.push({ bytesPerSec: (room - held) / amp.out, bound: 'network out' });
    }
  } else {
    bounds.push({ bytesPerSec: target * net.bytesOutPerSec - amp.out * P, bound: 'network out' });
  }
  if (model.kind === 'fit' && handlersBusiest) {
    // Handlers at this direction's traffic x, the other held: h(0) + slope·x.
    const zero = direction === 'produce'
      ? { bytesIn: 0, bytesOut: C, requests: traffic.requests }
      : { bytesIn: P * (1 + amp.in), bytesOut: amp.out * P, requests: traffic.requests };
    const slope = direction === 'produce'
      ? model.coefficients.bytesIn * (1 + amp.in) + model.coefficients.bytesOut * amp.out
      : model.coefficients.bytesOut;
    const margin = Number.isFinite(model.residualStd) ? marginStd * model.residualStd : 0;
    if (slope > 0) bounds.push({ bytesPerSec: (target - margin - resourcesAt(model, zero).handlers!) / slope, bound: 'handlers' });
  }
  let least: ClientCapacity = { bytesPerSec: Infinity, bound: 'none' };
  for (const b of bounds) if (b.bytesPerSec < least.bytesPerSec) least = b;
  return { bytesPerSec: Math.max(0, least.bytesPerSec), bound: least.bound };
}
