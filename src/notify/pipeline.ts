/**
 * The one place a notification config becomes a `Dispatcher`: its routing tree and inhibition
 * rules compiled, its receivers and external URL handed on. The durable `Notifier` and the
 * `MemoryNotifier` of replay differ only in the hooks they give (where due notifications go,
 * what silences there are), so they route, group, inhibit and time notifications alike.
 */
import type { Clock } from '../clock.ts';
import type { NotifyConfig } from './config.ts';
import { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
import { compileInhibitRules } from './inhibit.ts';
import { compileRoutes } from './route.ts';

/** What a dispatcher takes besides its config: where notifications go and what mutes alerts. */
export type DispatcherHooks = Omit<DispatcherOptions, 'route' | 'receivers' | 'inhibitRules' | 'clock' | 'externalURL'>;

/** The dispatcher of `config` on `clock`. */
export function dispatcherOf(config: NotifyConfig, clock: Clock, hooks: DispatcherHooks): Dispatcher {
  return new Dispatcher({
    route: compileRoutes(config.route),
    receivers: config.receivers,
    inhibitRules: compileInhibitRules(config.inhibit_rules),
    clock,
    externalURL: config.external_url,
    ...hooks,
  });
}
