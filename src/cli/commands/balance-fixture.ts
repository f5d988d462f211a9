/**
 * `sluice balance plan --fixture FIXTURE [--config sluice.yaml] [--at TIME] [--mode ...] [--json]`:
 * a what-if on a recorded incident fixture (src/replay/balance.ts). The cluster model is read
 * from the fixture's series as it is from the store, the plan is made with the `balance:` section
 * of the config (the defaults without `--config`), and each broker's load before and predicted
 * after is printed. Nothing is stored and no cluster is contacted.
 */
import { loadSluiceConfig } from '../../app-config.ts';
import { balanceConfigSchema, type BalanceConfig } from '../../balance/config.ts';
import type { PlanRequest } from '../../balance/plan.ts';
import { argumentError } from '../options.ts';
import { fixturePlanJson, fixturePlanText, planOnFixture } from '../../replay/balance.ts';
import { loadFixture } from '../../replay/load.ts';
import { fixturePath } from '../../replay/run.ts';
import { parseTimeArg } from '../../replay/time.ts';
import type { CliContext } from '../context.ts';

/** The flags of `sluice balance plan` that matter on a fixture. */
export interface FixturePlanFlags {
  readonly fixture: string;
  readonly config?: string;
  readonly cluster?: string;
  readonly at?: string;
  readonly fromCluster?: boolean;
  readonly save?: boolean;
  readonly json?: boolean;
}

/** Plans on the fixture the flags name and prints the plan. */
export async function runFixturePlan(flags: FixturePlanFlags, request: PlanRequest, ctx: CliContext): Promise<void> {
  if (flags.fromCluster === true) throw argumentError('--from-cluster: a plan on a fixture reads placement from the fixture; leave out --from-cluster or --fixture');
  if (flags.save === true) throw argumentError('--save: a plan on a fixture is a what-if and is not stored; leave out --save or --fixture');
  const config: BalanceConfig = flags.config === undefined ? balanceConfigSchema.parse({}) : (await loadSluiceConfig(flags.config)).balance;
  const fixture = await loadFixture(fixturePath(flags.fixture));
  const { from, to, cluster } = fixture.meta;
  if (flags.cluster !== undefined && flags.cluster !== cluster) throw argumentError(`--cluster: the fixture records cluster "${cluster}", got "${flags.cluster}"`);
  const at = flags.at === undefined ? to : parseTimeArg(flags.at, '--at', { base: from });
  if (at < from || at > to) {
    throw argumentError(`--at: expected a time within the fixture, ${new Date(from).toISOString()} to ${new Date(to).toISOString()}, got ${new Date(at).toISOString()}`);
  }
  let made;
  try {
    made = await planOnFixture(fixture, config, request, at);
  } catch (err) {
    if (err instanceof RangeError) throw argumentError(`--${err.message.replace(/^maxMoves/, 'max-moves')}`);
    throw err;
  }
  ctx.stdout(flags.json === true ? fixturePlanJson(made) : fixturePlanText(made, config));
}
