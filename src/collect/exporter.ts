/**
 * Scraping the brokers' exporter endpoints (the Prometheus JMX exporter under the common
 * Strimzi/Confluent rules, or the bundled broker's own endpoint): every endpoint in parallel,
 * each series tagged with the endpoint's broker, a failed endpoint reported and the rest kept.
 *
 * The cluster and client collectors (and the host collector, when a host endpoint is also a
 * broker endpoint) read the same endpoints; a `ScrapeCache` shared by the collectors of one
 * cluster makes them share one scrape per endpoint and cycle instead of each fetching it.
 */
import type { MetricsEndpoint } from './config.ts';
import { SHARED_READ_MS, type CollectIssue } from './types.ts';
import { instanceOf, scrape, type ScrapedSample } from './scrape.ts';

/** The series of one endpoint and the broker they belong to. */
export interface BrokerScrape {
  /** The configured broker id, or the endpoint's host:port when none was given. */
  readonly broker: string;
  readonly url: string;
  readonly samples: readonly ScrapedSample[];
}

/** URL and broker label of a configured endpoint. */
export function endpointOf(e: MetricsEndpoint): { url: string; broker: string } {
  return typeof e === 'string' ? { url: e, broker: instanceOf(e) } : { url: e.url, broker: String(e.broker) };
}

interface CacheEntry {
  readonly promise: Promise<readonly ScrapedSample[]>;
  /** performance.now() when the scrape finished; null while it runs. */
  doneAt: number | null;
  /** Consumers that already took this scrape. */
  readonly takenBy: Set<object>;
}

/**
 * One scrape per endpoint shared by several consumers (collectors): a consumer asking for an
 * endpoint gets the scrape in flight, or the last one if it finished at most `ttlMs` ago, unless
 * it already took that very scrape (its next cycle always reads the endpoint afresh). Failed
 * scrapes are not kept. The samples handed out are shared: consumers must not change them.
 */
export class ScrapeCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** @param ttlMs how long a finished scrape is handed to consumers that have not had it (default SHARED_READ_MS). */
  constructor(readonly ttlMs = SHARED_READ_MS) {}

  /** The samples of `url` for `consumer`; rejects as `scrape` does. */
  get(url: string, timeoutMs: number, consumer: object): Promise<readonly ScrapedSample[]> {
    const now = performance.now();
    for (const [key, e] of this.entries) if (e.doneAt !== null && now - e.doneAt > this.ttlMs) this.entries.delete(key);
    const found = this.entries.get(url);
    if (found !== undefined && !found.takenBy.has(consumer)) {
      found.takenBy.add(consumer);
      return found.promise;
    }
    const entry: CacheEntry = { promise: scrape(url, timeoutMs), doneAt: null, takenBy: new Set([consumer]) };
    entry.promise.then(
      () => { entry.doneAt = performance.now(); },
      () => { if (this.entries.get(url) === entry) this.entries.delete(url); },
    );
    this.entries.set(url, entry);
    return entry.promise;
  }
}

/** Where a collector's scrapes come from: a cache shared with other collectors, as this consumer. */
export interface SharedScrapes {
  readonly cache: ScrapeCache;
  readonly consumer: object;
}

/** Scrapes every endpoint; failures become issues (op `scrape`, subject the URL). */
export async function scrapeBrokers(endpoints: readonly MetricsEndpoint[], timeoutMs: number, shared?: SharedScrapes): Promise<{ scrapes: BrokerScrape[]; errors: CollectIssue[] }> {
  const errors: CollectIssue[] = [];
  const results = await Promise.all(endpoints.map(async (e) => {
    const { url, broker } = endpointOf(e);
    try {
      return { broker, url, samples: await (shared ? shared.cache.get(url, timeoutMs, shared.consumer) : scrape(url, timeoutMs)) };
    } catch (err) {
      errors.push({ op: 'scrape', subject: url, message: (err as Error).message });
      return undefined;
    }
  }));
  return { scrapes: results.filter((r) => r !== undefined), errors };
}
