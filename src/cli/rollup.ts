// `driftwatch rollup [--rebuild] [--at ISO]`: brings the rollup up to date, or drops and folds it afresh (operators).
import { rebuildRollup, refreshRollup } from '../rollup/index.js';
import { settleSession, withSession } from './common.js';

export interface RollupOptions {
  config?: string;
  rebuild?: boolean;
  at?: Date;
}

export async function rollupCommand(options: RollupOptions): Promise<number> {
  const at = options.at ?? new Date();
  return withSession(options.config, async (session) => {
    const { store, config, logger } = await settleSession(session, at);
    const fold = options.rebuild ? rebuildRollup : refreshRollup;
    const summary = await fold(store, config, at, { logger });
    process.stdout.write(
      `rollup ${options.rebuild ? 'rebuilt' : 'refreshed'} as of ${at.toISOString()} in ${summary.seconds.toFixed(1)} s: ` +
        `hours folded: ${Object.entries(summary.folded).map(([kind, hours]) => `${kind} ${hours}`).join(', ')}; ` +
        `re-folded ${Object.values(summary.refolded).reduce((a, b) => a + b, 0)}\n`,
    );
    return 0;
  });
}
