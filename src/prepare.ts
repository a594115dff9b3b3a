// Before a cycle: fold what is new into the rollup, then read the cycle's windows from it.
import { rollupSource } from './aggregates/index.js';
import type { Config } from './config/index.js';
import type { CycleOptions } from './cycle.js';
import type { Logger } from './log.js';
import { refreshRollup } from './rollup/index.js';
import type { Store } from './store/index.js';

/** Brings the rollup up to date as of `at` and returns the cycle options that read from it. */
export async function prepareCycle(store: Store, config: Config, at: Date, logger?: Logger): Promise<Partial<CycleOptions>> {
  const summary = await refreshRollup(store, config, at, { logger });
  logger?.debug({ rollup: summary }, 'rollup refreshed');
  return { at, source: rollupSource(store, config) };
}
