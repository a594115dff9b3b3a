// Creates every table driftwatch uses, idempotently: the source tables, history, and driftwatch's own state.
import type { Config } from './config/index.js';
import { alertTableDdl } from './alerts/index.js';
import { featureEdgesDdl } from './aggregates/feature-edges.js';
import { maturityDdl } from './aggregates/maturity.js';
import { ROLLUP_DDL } from './rollup/schema.js';
import { shadowVerdictsDdl } from './alerts/verdicts.js';
import { reportsTableDdl } from './report/index.js';
import { outboxTableDdl } from './sinks/outbox.js';
import { ensureSchema, type Store } from './store/index.js';

/** DDL of driftwatch's own tables beyond the source and history tables; modules add theirs here. */
const OWN_TABLES: ((config: Config) => string)[] = [featureEdgesDdl, maturityDdl, alertTableDdl, outboxTableDdl, shadowVerdictsDdl, reportsTableDdl, ...ROLLUP_DDL];

/**
 * Creates every table driftwatch needs. `sources: false` leaves the source tables alone (the commands that only
 * read them check them instead: cli/common.ts); by default they are created in the default schema when missing,
 * as `seed`, `ingest`, `demo` and the library's callers expect.
 */
export async function ensureTables(store: Store, config: Config, options: { sources?: boolean } = {}): Promise<void> {
  await ensureSchema(store, config, options);
  for (const ddl of OWN_TABLES) await store.command(ddl(config), {}, 'schema');
}
