// Before a cycle: fold what is new into the rollup, then read the cycle's windows from it.
import { rollupSource } from './aggregates/index.js';
import type { Config } from './config/index.js';
import type { CycleOptions } from './cycle.js';
import type { Logger } from './log.js';
import { refreshRollup, RollupState } from './rollup/index.js';
import type { Store } from './store/index.js';

export interface PrepareOptions {
  logger?: Logger;
  /**
   * The rollup state its owner keeps between cycles (the daemon makes one and passes it every cycle, so a cycle
   * reads only what moved). Default: a new one, for a single cycle (run --once).
   */
  state?: RollupState;
}

/** Brings the rollup up to date as of `at` and returns the cycle options that read this cycle from it. */
export async function prepareCycle(store: Store, config: Config, at: Date, options: PrepareOptions = {}): Promise<Partial<CycleOptions>> {
  const { logger } = options;
  const state = options.state ?? new RollupState();
  const summary = await refreshRollup(store, config, at, { logger, state });
  logger?.debug({ rollup: summary }, 'rollup refreshed');
  return { at, source: rollupSource(store, config, state) };
}
