import { BrokerServer } from './server.ts';
import type { BrokerOptions, RunningBroker } from './options.ts';

export type { BrokerOptions, RunningBroker, TopicSpec } from './options.ts';
export { BrokerServer } from './server.ts';

/** Starts one bundled broker node and resolves once it listens. */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker & { readonly server: BrokerServer }> {
  const server = new BrokerServer(options);
  await server.listen();
  return Object.assign(Object.create(null), {
    server,
    get host() { return server.host; },
    get port() { return server.port; },
    get nodeId() { return server.nodeId; },
    get bootstrap() { return server.bootstrap; },
    stop: () => server.stop(),
  });
}
