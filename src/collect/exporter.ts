/**
 * Scraping the brokers' exporter endpoints (the Prometheus JMX exporter under the common
 * Strimzi/Confluent rules, or the bundled broker's own endpoint): every endpoint in parallel,
 * each series tagged with the endpoint's broker, a failed endpoint reported and the rest kept.
 */
import type { MetricsEndpoint } from './config.ts';
import type { CollectIssue } from './types.ts';
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

/** Scrapes every endpoint; failures become issues (op `scrape`, subject the URL). */
export async function scrapeBrokers(endpoints: readonly MetricsEndpoint[], timeoutMs: number): Promise<{ scrapes: BrokerScrape[]; errors: CollectIssue[] }> {
  const errors: CollectIssue[] = [];
  const results = await Promise.all(endpoints.map(async (e) => {
    const { url, broker } = endpointOf(e);
    try {
      return { broker, url, samples: await scrape(url, timeoutMs) };
    } catch (err) {
      errors.push({ op: 'scrape', subject: url, message: (err as Error).message });
      return undefined;
    }
  }));
  return { scrapes: results.filter((r) => r !== undefined), errors };
}
