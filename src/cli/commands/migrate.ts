/**
 * `sluice migrate [--database-url URL] [--data-dir DIR] [--schema NAME]`: brings the store's schema up to date
 * and prints what it applied. The database is PostgreSQL at --database-url (default
 * DATABASE_URL), else embedded PGlite in --data-dir (default: in memory, which only checks that
 * the migrations apply). Running it again changes nothing and says so.
 */
import type { Command } from 'commander';
import { openDb, migrate } from '../../store/index.ts';
import { redactUrl } from '../../redact.ts';
import type { CliContext } from '../context.ts';

/** The flags of `sluice migrate` as commander hands them over. */
export interface MigrateFlags {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly schema?: string;
}

/** Adds `sluice migrate` to `program`. */
export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply the store schema migrations and print the versions applied')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL; embedded PGlite when neither is set)')
    .option('--data-dir <dir>', 'PGlite data directory when no URL is given (default: in memory)')
    .option('--schema <name>', "schema holding Sluice's tables, as store.schema (created if missing)")
    .action(async (flags: MigrateFlags) => {
      await runMigrate(flags, ctx);
    });
}

/** Applies the migrations; prints one line (stdout) with what was done. */
export async function runMigrate(flags: MigrateFlags, ctx: CliContext, env: { DATABASE_URL?: string | undefined } = process.env): Promise<void> {
  const url = flags.databaseUrl ?? (env.DATABASE_URL === '' ? undefined : env.DATABASE_URL);
  const where = url !== undefined ? `PostgreSQL at ${redactUrl(url)}` : flags.dataDir !== undefined ? `PGlite at ${flags.dataDir}` : 'PGlite (in memory)';
  const db = await openDb({
    ...(url === undefined ? {} : { url }),
    ...(url === undefined && flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
    ...(flags.schema === undefined ? {} : { schema: flags.schema }),
    logger: ctx.logger.child({ component: 'store' }),
  });
  try {
    const result = await migrate(db, { logger: ctx.logger.child({ component: 'store' }) });
    if (result.applied.length === 0) {
      ctx.stdout(`sluice migrate: ${where}: schema is up to date at version ${result.version}; nothing applied\n`);
    } else {
      ctx.stdout(`sluice migrate: ${where}: applied ${result.applied.join(', ')}; schema version ${result.version}\n`);
    }
  } finally {
    await db.close();
  }
}
