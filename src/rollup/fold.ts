// Folds hours into a rollup kind in bounded chunks, under a fresh version, then records them in the ledger.
import { featureBinParams } from '../aggregates/feature-bins.js';
import { HOUR_MS, OPEN_END_MS, OUTCOME_SKEW_MS, orphanLookbackMs, type Piece } from '../aggregates/pieces.js';
import { shadowPairsSql } from '../aggregates/shadow-pairs.js';
import { commandQuery, piecesPredicate } from '../aggregates/sql.js';
import type { FeatureEdges } from '../aggregates/types.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { chTime, tableRef, type QueryParams, type Store } from '../store/index.js';
import type { RollupKind } from './fingerprint.js';
import { recordFolds, type LedgerWrites } from './ledger.js';
import { hourRuns } from './plan.js';
import { ROLLUP_TABLES } from './schema.js';

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
  if (request.kind === 'orphans') return { lookback_ms: orphanLookbackMs(config.windows.maturity), at: chTime(OPEN_END_MS) };
  if (request.kind === 'features') {
    return featureBinParams(request.edges ?? []);
  }
  return {};
}

/** Per kind, the ledger's `rows` (n) and `settled` (s) of an hour, from the rows a fold wrote under its version. */
const FOLDED_HOUR: Record<RollupKind, string | undefined> = {
  events: 'sum(events) AS n, 0 AS s',
  labels: '0 AS n, toUnixTimestamp64Milli(max(last_outcome)) AS s',
  shadow: '0 AS n, toUnixTimestamp64Milli(max(last_outcome)) AS s',
  orphans: '0 AS n, max(settled) AS s',
  features: undefined,
};

/**
 * What the ledger keeps of each hour a fold wrote: the events kind, the source rows it saw (change detection
 * compares them); the label kinds, the latest outcome time they counted (reads as of an earlier time skip them).
 */
async function foldedHours(store: Store, config: Config, kind: RollupKind, from: number, to: number, version: number): Promise<Map<number, { rows: number; settled: number }>> {
  const value = FOLDED_HOUR[kind];
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

/** The hours one fold statement writes, as contiguous runs (a chunk of a backfill is one run). */
interface Chunk {
  hours: number[];
  runs: Piece[];
}

/** Label kinds read their events through a predicate over the runs, so one statement may fold scattered hours. */
const SCATTERED: ReadonlySet<RollupKind> = new Set(['labels', 'shadow']);

/**
 * The statements a fold takes: runs of contiguous hours holding about CHUNK_ROWS source rows (an hour at least, a
 * day at most), so memory stays flat whatever the window holds. The label kinds look each statement's transactions
 * up in the whole outcomes table (it is ordered by transaction id, and driftwatch adds no other order to it), so
 * their hours go in larger groups, whatever their gaps: late outcomes re-fold hours scattered over days, and a
 * cold start folds a week.
 */
function chunksOf(request: FoldRequest): Chunk[] {
  const perHour = Math.max(1, request.rowsPerHour);
  const maxHours = Math.max(1, Math.min(24, Math.floor(CHUNK_ROWS / perHour)));
  if (!SCATTERED.has(request.kind)) return hourRuns(request.hours, maxHours).map((run) => ({ hours: hoursIn(run), runs: [run] }));
  const group = Math.max(1, Math.min(MAX_SCATTERED_HOURS, Math.floor(SCATTERED_ROWS / perHour)));
  const sorted = [...new Set(request.hours)].sort((a, b) => a - b);
  const chunks: Chunk[] = [];
  for (let i = 0; i < sorted.length; i += group) {
    const hours = sorted.slice(i, i + group);
    chunks.push({ hours, runs: hourRuns(hours) });
  }
  return chunks;
}

/** A week of scattered hours at most per statement: the predicate lists each run. */
export const MAX_SCATTERED_HOURS = 168;
/** Source rows of one label-kind statement: more than a backfill chunk, since each scans the outcomes table once. */
export const SCATTERED_ROWS = 4 * CHUNK_ROWS;

function hoursIn(run: Piece): number[] {
  const out: number[] = [];
  for (let h = run.from; h < run.to; h += HOUR_MS) out.push(h);
  return out;
}

/**
 * Folds the requested hours (chunksOf), one INSERT … SELECT per chunk. Each chunk is recorded in the ledger as
 * soon as it lands: an interrupted backfill resumes where it stopped. Rows of re-folded hours stay until a sweep
 * (ledger.ts, sweepSuperseded).
 */
export async function foldHours(store: Store, config: Config, writes: LedgerWrites, request: FoldRequest, logger?: Logger): Promise<number> {
  if (request.hours.length === 0 || (request.kind === 'features' && (request.edges ?? []).length === 0)) return 0;
  for (const chunk of chunksOf(request)) {
    const version = writes.nextVersion();
    const t0 = performance.now();
    const from = chunk.hours[0] as number;
    const to = (chunk.hours[chunk.hours.length - 1] as number) + HOUR_MS;
    const params: QueryParams = { from: chTime(from), to: chTime(to), version, models: [], ...kindParams(config, request) };
    // Shadow pairs of the chunk: both windows are its hours, and every outcome the table holds counts (settled).
    const pieces: Record<string, string> =
      request.kind === 'shadow'
        ? { pairs: shadowPairsSql(config, chunk.runs, chunk.runs, OPEN_END_MS, params) }
        : request.kind === 'labels'
          ? { chunk: piecesPredicate('event_time', chunk.runs, 'c', params) }
          : {};
    await commandQuery(store, config, FOLD_QUERY[request.kind], params, pieces);
    const seen = await foldedHours(store, config, request.kind, from, to, version);
    // Orphans know their settled time per chunk (a transaction's outcomes span hours): every hour of it takes it.
    const chunkSettled = request.kind === 'orphans' ? Math.max(0, ...[...seen.values()].map((s) => s.settled)) : undefined;
    const folds = chunk.hours.map((hour) => ({ hour, version, rows: seen.get(hour)?.rows ?? 0, settled: chunkSettled ?? seen.get(hour)?.settled ?? 0 }));
    await recordFolds(store, config, writes, request.kind, request.fingerprint, folds);
    logger?.debug({ kind: request.kind, from: new Date(from), hours: chunk.hours.length, ms: Math.round(performance.now() - t0) }, 'rollup chunk folded');
  }
  return request.hours.length;
}
