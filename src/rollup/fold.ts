// Folds hours into a rollup kind in bounded chunks, under a fresh version, then records them in the ledger.
import type { FeatureEdges } from '../aggregates/types.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { chTime, tableRef, type QueryParams, type Store } from '../store/index.js';
import type { RollupKind } from './fingerprint.js';
import { nextVersion, recordFolds } from './ledger.js';
import { HOUR_MS, OPEN_END_MS, OUTCOME_SKEW_MS, hourRuns, orphanLookbackMs } from './plan.js';
import { ROLLUP_TABLES } from './schema.js';
import { shadowPairsSql } from './shadow.js';
import { commandRollup } from './sql.js';

/** Source rows one fold query may read: with the outcomes join that keeps a chunk's hash table near 100 MB. */
export const CHUNK_ROWS = 1_000_000;

export interface FoldRequest {
  kind: RollupKind;
  fingerprint: string;
  hours: number[];
  /** Hours that were folded before: their superseded rows are deleted after the new ones land. */
  refold: boolean;
  /** Source rows per hour, to size chunks (an estimate). */
  rowsPerHour: number;
  edges?: FeatureEdges[];
}

const FOLD_QUERY: Record<RollupKind, string> = {
  events: 'rollup_fold_events',
  labels: 'rollup_fold_labels',
  features: 'rollup_fold_features',
  orphans: 'rollup_fold_orphans',
  shadow: 'rollup_fold_shadow',
};

function kindParams(config: Config, request: FoldRequest): QueryParams {
  if (request.kind === 'labels' || request.kind === 'shadow') return { skew_ms: OUTCOME_SKEW_MS, cal_bins: config.monitors.calibration.bins };
  if (request.kind === 'orphans') return { lookback_ms: orphanLookbackMs(config.windows.maturity) };
  if (request.kind === 'features') {
    const edges = request.edges ?? [];
    return { edge_models: edges.map((e) => e.model), edge_features: edges.map((e) => e.feature), edges: edges.map((e) => e.edges) };
  }
  return {};
}

/**
 * What the ledger keeps of each hour a fold wrote: the events kind, the source rows it saw (change detection
 * compares them); the label kinds, the latest outcome time they counted (reads as of an earlier time skip them).
 */
async function foldedHours(store: Store, config: Config, kind: RollupKind, from: number, to: number, version: number): Promise<Map<number, { rows: number; settled: number }>> {
  const value = kind === 'events' ? 'sum(events) AS n, 0 AS s' : kind === 'labels' || kind === 'shadow' ? '0 AS n, toUnixTimestamp64Milli(max(last_outcome)) AS s' : undefined;
  if (!value) return new Map();
  const rows = await store.select<{ h: number; n: number; s: number }>(
    `SELECT toUnixTimestamp(hour) AS h, ${value} FROM ${tableRef(config, ROLLUP_TABLES[kind])}
     WHERE hour >= {from:DateTime64(3, 'UTC')} AND hour < {to:DateTime64(3, 'UTC')} AND version = {version:UInt64}
     GROUP BY h`,
    { from: chTime(from), to: chTime(to), version },
    'rollup folded hours',
  );
  return new Map(rows.map((r) => [Number(r.h) * 1000, { rows: Number(r.n), settled: Number(r.s) }]));
}

/**
 * Folds the requested hours, one INSERT … SELECT per chunk of contiguous hours holding about CHUNK_ROWS source
 * rows (an hour at least, a day at most), so memory stays flat whatever the window holds. Each chunk is
 * recorded in the ledger as soon as it lands: an interrupted backfill resumes where it stopped.
 */
export async function foldHours(store: Store, config: Config, request: FoldRequest, logger?: Logger): Promise<number> {
  if (request.hours.length === 0 || (request.kind === 'features' && (request.edges ?? []).length === 0)) return 0;
  const maxHours = Math.max(1, Math.min(24, Math.floor(CHUNK_ROWS / Math.max(1, request.rowsPerHour))));
  const chunks = hourRuns(request.hours, maxHours);
  for (const chunk of chunks) {
    const version = nextVersion();
    const t0 = performance.now();
    const params: QueryParams = { from: chTime(chunk.from), to: chTime(chunk.to), version, models: [], ...kindParams(config, request) };
    // Shadow pairs of the chunk: both windows are its hours, and every outcome the table holds counts (settled).
    const pieces: Record<string, string> = request.kind === 'shadow' ? { pairs: shadowPairsSql(config, [chunk], [chunk], OPEN_END_MS, params) } : {};
    await commandRollup(store, config, FOLD_QUERY[request.kind], params, pieces);
    const seen = await foldedHours(store, config, request.kind, chunk.from, chunk.to, version);
    const folds = [];
    for (let hour = chunk.from; hour < chunk.to; hour += HOUR_MS) folds.push({ hour, version, rows: seen.get(hour)?.rows ?? 0, settled: seen.get(hour)?.settled ?? 0 });
    await recordFolds(store, config, request.kind, request.fingerprint, folds);
    if (request.refold) {
      // Readers follow the ledger, so superseded rows are invisible already; deleting them keeps reads small.
      await store.command(
        `DELETE FROM ${tableRef(config, ROLLUP_TABLES[request.kind])} WHERE hour >= {from:DateTime64(3, 'UTC')} AND hour < {to:DateTime64(3, 'UTC')} AND version < {version:UInt64}`,
        { from: chTime(chunk.from), to: chTime(chunk.to), version },
        'rollup drop superseded',
      );
    }
    logger?.debug({ kind: request.kind, from: new Date(chunk.from), hours: (chunk.to - chunk.from) / HOUR_MS, ms: Math.round(performance.now() - t0) }, 'rollup chunk folded');
  }
  return request.hours.length;
}
