// `driftwatch advise [--at ISO] [--json]`: what the folds read of the source tables, and the DDL a DBA may choose to apply. Sends SELECT and EXPLAIN only.
import { checkMonitorSettings } from '../monitors/registry.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../log.js';
import { openStore } from '../store/index.js';
import { advise } from './advice/advice.js';
import { formatAdvice } from './advice/format.js';

export interface AdviseOptions {
  config?: string;
  at?: Date;
  json?: boolean;
}

/**
 * Opens the store without the session's set-up (no CREATE of driftwatch's own database or tables: a DBA may run
 * this with SELECT rights alone), measures, prints. Exits 0 whatever it advises.
 */
export async function adviseCommand(options: AdviseOptions): Promise<number> {
  const at = options.at ?? new Date();
  const config = loadConfig(options.config);
  checkMonitorSettings(config, options.config ?? 'config');
  const store = openStore(config, createLogger());
  try {
    const doc = await advise(store, config, at);
    process.stdout.write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : formatAdvice(doc));
    return 0;
  } finally {
    await store.close().catch(() => undefined);
  }
}
