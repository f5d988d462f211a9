/**
 * `sluice record --cluster NAME --from T1 --to T2 --out DIR [--match SELECTOR ...]`: exports a
 * window of one cluster's stored series and events to an incident fixture (docs/fixtures.md),
 * for replay. Reads PostgreSQL at --database-url (default DATABASE_URL), else PGlite in
 * --data-dir. Prints one line saying what was written.
 */
import type { Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { recordFromDb } from '../../replay/record.ts';
import { parseTimeArg } from '../../replay/time.ts';
import { writeFixture } from '../../replay/write.ts';
import { openDb } from '../../store/index.ts';
import { basename } from 'node:path';
import type { CliContext } from '../context.ts';

/** The flags of `sluice record` as commander hands them over. */
export interface RecordFlags {
  readonly cluster: string;
  readonly from: string;
  readonly to: string;
  readonly out: string;
  readonly match?: string[];
  readonly name?: string;
  readonly description?: string;
  readonly incidentStart?: string;
  readonly scrapeInterval?: string;
  readonly scenario?: string;
  readonly includeRuleOutputs?: boolean;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly schema?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `sluice record` to `program`. */
export function registerRecordCommand(program: Command, ctx: CliContext): void {
  program
    .command('record')
    .description('export a window of stored series and events to an incident fixture for replay')
    .requiredOption('--cluster <name>', 'the cluster whose series to export (their cluster label)')
    .requiredOption('--from <time>', 'window start: ISO 8601, Unix seconds, now-2h')
    .requiredOption('--to <time>', 'window end: ISO 8601, Unix seconds, now')
    .requiredOption('--out <dir>', 'fixture directory to write (created if missing)')
    .option('--match <selector>', 'PromQL series selector to export (repeatable; default every series of the cluster)', collect)
    .option('--name <name>', 'fixture name (default: the directory name)')
    .option('--description <text>', 'what happened, for the people who replay it')
    .option('--incident-start <time>', 'when the incident began (expected.yaml counts from here; default --from)')
    .option('--scrape-interval <seconds>', 'seconds between samples (default: measured)')
    .option('--scenario <file>', 'the workload scenario that ran, noted in the metadata')
    .option('--include-rule-outputs', 'also export ALERTS, ALERTS_FOR_STATE and recorded (a:b:c) series')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL; embedded PGlite when neither is set)')
    .option('--data-dir <dir>', 'PGlite data directory when no URL is given')
    .option('--schema <name>', "schema holding Sluice's tables, as store.schema")
    .action(async (flags: RecordFlags) => {
      await runRecord(flags, ctx);
    });
}

/** Records and writes the fixture; prints `sluice record: wrote DIR: N series, M samples, K events`. */
export async function runRecord(flags: RecordFlags, ctx: CliContext, env: { DATABASE_URL?: string | undefined } = process.env): Promise<void> {
  const now = Date.now();
  const from = parseTimeArg(flags.from, '--from', { now });
  const to = parseTimeArg(flags.to, '--to', { now });
  const incidentStart = flags.incidentStart === undefined ? undefined : parseTimeArg(flags.incidentStart, '--incident-start', { now, base: from });
  let scrape: number | undefined;
  if (flags.scrapeInterval !== undefined) {
    scrape = Number(flags.scrapeInterval);
    if (!(scrape > 0)) throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `--scrape-interval: expected a positive number of seconds, got ${JSON.stringify(flags.scrapeInterval)}`);
  }
  const url = flags.databaseUrl ?? (env.DATABASE_URL === '' ? undefined : env.DATABASE_URL);
  if (url === undefined && flags.dataDir === undefined) {
    throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', '--database-url: name the store to read (or set DATABASE_URL, or give --data-dir for PGlite)');
  }
  const db = await openDb({
    ...(url === undefined ? { dataDir: flags.dataDir! } : { url }),
    ...(flags.schema === undefined ? {} : { schema: flags.schema }),
    logger: ctx.logger.child({ component: 'store' }),
  });
  try {
    const fixture = await recordFromDb(db, {
      cluster: flags.cluster, from, to, name: flags.name ?? basename(flags.out), now,
      ...(flags.match === undefined ? {} : { selectors: flags.match }),
      ...(flags.description === undefined ? {} : { description: flags.description }),
      ...(incidentStart === undefined ? {} : { incidentStart }),
      ...(scrape === undefined ? {} : { scrapeIntervalSeconds: scrape }),
      ...(flags.includeRuleOutputs === true ? { includeRuleOutputs: true } : {}),
      source: { command: 'sluice record', ...(flags.scenario === undefined ? {} : { scenario: flags.scenario }) },
    });
    if (fixture.series.length === 0) {
      throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `no series of cluster ${JSON.stringify(flags.cluster)} between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}${flags.match === undefined ? '' : ' match the selectors'}`);
    }
    const meta = await writeFixture(flags.out, fixture);
    ctx.stdout(`sluice record: wrote ${flags.out}: ${meta.seriesCount} series, ${meta.sampleCount} samples, ${fixture.events.length} events from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}\n`);
  } finally {
    await db.close();
  }
}
