// `driftwatch rollup [--rebuild] [--at ISO]`: brings the rollup up to date, or drops and folds it afresh (operators).
import { rebuildRollup, refreshRollup } from '../rollup/index.js';
import { withSession } from './common.js';

export interface RollupOptions {
  config?: string;
  rebuild?: boolean;
  at?: Date;
}

export async function rollupCommand(options: RollupOptions): Promise<number> {
  return withSession(options.config, async ({ store, config, logger }) => {
    const at = options.at ?? new Date();
    const fold = options.rebuild ? rebuildRollup : refreshRollup;
    const summary = await fold(store, config, at, { logger });
    process.stdout.write(
      `rollup ${options.rebuild ? 'rebuilt' : 'refreshed'} as of ${at.toISOString()} in ${summary.seconds.toFixed(1)} s: ` +
        `folded ${summary.folded.events} event hours, ${summary.folded.labels} label hours, ${summary.folded.features} feature hours; ` +
        `re-folded ${summary.refolded.events + summary.refolded.labels + summary.refolded.features}\n`,
    );
    return 0;
  });
}
