// Creates every table driftwatch uses, idempotently: the source tables, history, and driftwatch's own state.
import type { Config } from './config/index.js';
import { alertTableDdl } from './alerts/index.js';
import { featureEdgesAddedColumns, featureEdgesDdl } from './aggregates/feature-edges.js';
import { maturityDdl } from './aggregates/maturity.js';
import { ROLLUP_DDL } from './rollup/schema.js';
import { experimentVerdictsDdl } from './alerts/experiments.js';
import { shadowVerdictsDdl } from './alerts/verdicts.js';
import { reportsTableDdl } from './report/index.js';
import { outboxTableDdl } from './sinks/outbox.js';
import { leaseTableDdl } from './lease.js';
import { createOwnTable, ensureOwnDatabase, ensureSchema, historyTableDdl, type Store } from './store/index.js';
import { ingestLedgerDdl } from './ingest/ledger.js';
import { quoteIdentifier as q } from './config/index.js';
import { silentLogger, type Logger } from './log.js';

/** DDL of driftwatch's own tables beyond the source and history tables; modules add theirs here. */
const OWN_TABLES: ((config: Config) => string)[] = [featureEdgesDdl, maturityDdl, alertTableDdl, outboxTableDdl, shadowVerdictsDdl, experimentVerdictsDdl, reportsTableDdl, leaseTableDdl, ...ROLLUP_DDL];

/**
 * Creates every table driftwatch needs. `sources: false` leaves the source tables alone (the commands that only
 * read them check them instead: cli/common.ts); by default they are created in the default schema when missing,
 * as `seed`, `ingest`, `demo` and the library's callers expect.
 */
export async function ensureTables(store: Store, config: Config, options: { sources?: boolean; logger?: Logger } = {}): Promise<void> {
  await moveOwnTables(store, config, options.logger ?? silentLogger);
  await ensureSchema(store, config, options);
  for (const ddl of OWN_TABLES) await createOwnTable(store, config, ddl(config));
  for (const statement of featureEdgesAddedColumns(config)) await store.command(statement, {}, 'own schema');
}

/** The DDL of every table driftwatch keeps in its own database but the demo's marker (the ingest ledger's too). */
export function ownTablesDdl(config: Config): string[] {
  return [historyTableDdl, ingestLedgerDdl, ...OWN_TABLES].map((make) => make(config));
}

/** The names of driftwatch's own tables, read off their DDL (every one is created through tableRef). */
export function ownTableNames(config: Config): string[] {
  return [...ownTablesDdl(config).map((text) => /CREATE TABLE IF NOT EXISTS `[^`]+`\.`([^`]+)`/.exec(text)?.[1]), 'driftwatch_demo'].filter((name): name is string => name !== undefined);
}

/**
 * Before store.driftwatchDatabase, driftwatch kept its tables beside the source tables (the embedded store's
 * `default`, a server's store.database). A store from then has them moved, once, by RENAME TABLE — the alert
 * state, outbox, history and rollup carry on (no alert is announced again, nothing is folded again). Only tables
 * with driftwatch's own names move, and only where the new database lacks them; source tables are not touched.
 */
async function moveOwnTables(store: Store, config: Config, logger: Logger): Promise<void> {
  const from = store.kind === 'embedded' ? 'default' : config.store.database;
  const to = config.store.driftwatchDatabase;
  if (from === to) return;
  const names = ownTableNames(config);
  const rows = await store.select<{ database: string; name: string }>(
    'SELECT database, name FROM system.tables WHERE database IN ({from:String}, {to:String}) AND has({names:Array(String)}, name)',
    { from, to, names },
    'own tables',
  );
  const present = new Set(rows.filter((r) => r.database === to).map((r) => r.name));
  const legacy = rows.filter((r) => r.database === from && !present.has(r.name)).map((r) => r.name);
  if (legacy.length === 0) return;
  const [target] = await store.select<{ engine: string }>('SELECT engine FROM system.databases WHERE name = {to:String}', { to }, 'own database');
  if (target?.engine === 'Replicated') {
    // ClickHouse moves no table into a database of another engine; the rows are the operator's to copy.
    logger.warn({ from, to, tables: legacy }, `driftwatch's tables from before store.driftwatchDatabase stay in ${from}: ${to} is a Replicated database, which RENAME TABLE cannot move them into; copy their rows (docs/operations.md, "A replicated driftwatch database")`);
    return;
  }
  await ensureOwnDatabase(store, config);
  for (const name of legacy) {
    try {
      await store.command(`RENAME TABLE ${q(from)}.${q(name)} TO ${q(to)}.${q(name)}`, {}, 'move own table');
    } catch (error) {
      // Two processes upgrading at once: the other one moved it first.
      const [moved] = await store.select<{ n: number }>('SELECT count() AS n FROM system.tables WHERE database = {to:String} AND name = {name:String}', { to, name }, 'own tables');
      if (!Number(moved?.n)) throw error;
    }
  }
  logger.info({ from, to, tables: legacy }, `moved driftwatch's own tables from ${from} to ${to} (store.driftwatchDatabase)`);
}
