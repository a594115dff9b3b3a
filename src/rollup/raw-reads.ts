// The raw pieces of a cycle's windows (edges off the hour, hours not folded yet), read through the strip cache.
import { OPEN_END_MS, OUTCOME_SKEW_MS, widen, type Piece } from '../aggregates/pieces.js';
import { heldOutParams, piecesPredicate, selectQuery } from '../aggregates/sql.js';
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../core/types.js';
import type { HeldOut, LabelStrips, ScoreStrips } from '../aggregates/types.js';
import { SCORE_GRID_CELLS } from '../aggregates/grid.js';
import { chTime, type QueryParams, type Store } from '../store/index.js';
import { eventsFingerprint, labelsFingerprint } from './fingerprint.js';
import type { RollupState } from './state.js';
import { readEachStrip, readStripRows, readStrips, stripDelta, type StripRead, type StripRow } from './strips.js';
import { sumsKey, type SumsDelta } from './window-sums.js';
import { byModelAndSegment } from '../aggregates/rows.js';

/** What a rollup read works with: the store, the config, and the state it keeps between cycles. */
export interface ReadContext {
  store: Store;
  config: Config;
  state: RollupState;
}

/** The strip cache of a question, the cycle reading it and the cycle's list of source parts. */
function stripsOf(ctx: ReadContext, key: string): Pick<StripRead, 'cache' | 'cycle' | 'parts'> {
  return { cache: ctx.state.stripCache(key), cycle: ctx.state.cycle, parts: (table) => ctx.state.parts(ctx.store, ctx.config, table) };
}

/**
 * A strip query's `{{pieces:slot}}` (a row's five-minute strip start in seconds, or −(i + 1) in rest piece i) and
 * `{{pieces:read}}` (the rows to read: in a strip or a rest piece), their bounds added to `params`.
 */
export function stripPredicates(column: string, strips: Piece[], rest: Piece[], params: QueryParams): Record<string, string> {
  const inStrips = piecesPredicate(column, strips, 's_p', params);
  const inRest = rest.map((piece, i) => piecesPredicate(column, [piece], `r${i}_p`, params));
  const slot = [inStrips, `toInt64(intDiv(toUnixTimestamp(${column}), 300) * 300)`, ...inRest.flatMap((p, i) => [p, String(-(i + 1))]), '0'];
  return { slot: `multiIf(${slot.join(', ')})`, read: `(${[inStrips, ...inRest].join(' OR ')})` };
}

const num = (values: readonly (number | string)[]): number[] => values.map(Number);

/** Which live traffic a read holds: its models, less the versions a drift question leaves out (HeldOut). */
export interface Scope {
  models: string[];
  heldOut: readonly HeldOut[];
}

/** A scope in a cache key: the models alone when nothing is left out, so keys (and what they cache) stay the same. */
export const scopeKey = (scope: Scope): string => (scope.heldOut.length === 0 ? JSON.stringify(scope.models) : JSON.stringify([scope.models, scope.heldOut]));

/** `{models}` and `{{held_out}}`'s parameters. */
export const scopeParams = (scope: Scope): QueryParams => ({ models: scope.models, ...heldOutParams(scope.heldOut) });

/** The PSI strips' cache and query (rollup_psi_raw.sql, sparse over cells): the windows' raw pieces and the sequential test's strips share them. */
function psiStrips(ctx: ReadContext, scope: Scope): Omit<StripRead, 'pieces' | 'at'> {
  const { store, config } = ctx;
  return {
    ...stripsOf(ctx, `psi ${eventsFingerprint(config)} ${scopeKey(scope)}`),
    query: async (strips, rest) => {
      const params = scopeParams(scope);
      const rows = await selectQuery<{ model: string; key: string; segment: string[]; slot: number; cells: number[]; counts: number[] }>(
        store,
        config,
        'rollup_psi_raw',
        params,
        stripPredicates('event_time', strips, rest, params),
      );
      return rows.map((r): StripRow => ({ slot: Number(r.slot), key: sumsKey(r.model, r.key), model: r.model, segment: r.segment, values: num(r.counts), indexes: num(r.cells) }));
    },
  };
}

/** Score-cell counts of the PSI windows' raw pieces (reference, then each current window), sparse over cells. */
export function psiRaw(ctx: ReadContext, pieces: Piece[][], scope: Scope, at: Date): Promise<SumsDelta[]> {
  return readStrips(ctx.store, ctx.config, { ...psiStrips(ctx, scope), pieces, at: at.getTime() });
}

/** Rows of each strip gathered per segment (`make` a segment's entry, `put` a strip's row in it), sorted by model and segment. */
function perSegment<T extends { model: string; segment: string[] }>(strips: StripRow[][], make: (row: StripRow) => T, put: (entry: T, strip: number, row: StripRow) => void): T[] {
  const bySegment = new Map<string, T>();
  strips.forEach((rows, i) => {
    for (const row of rows) {
      let entry = bySegment.get(row.key);
      if (!entry) {
        entry = make(row);
        bySegment.set(row.key, entry);
      }
      put(entry, i, row);
    }
  });
  return byModelAndSegment([...bySegment.values()]);
}

/** A strip in which a segment had no event: one shared, frozen value (most segments have none in most strips). */
const NO_CELLS: ScoreStrips['strips'][number] = Object.freeze({ cells: Object.freeze([]) as readonly number[], counts: Object.freeze([]) as readonly number[] });

/** Score-cell counts per five-minute strip of `span` (whole strips over by `at`), oldest first, per segment. */
export async function scoreStripsRaw(ctx: ReadContext, span: TimeWindow, scope: Scope, at: Date): Promise<ScoreStrips[]> {
  const strips = await readEachStrip(ctx.store, ctx.config, { ...psiStrips(ctx, scope), span: { from: span.from.getTime(), to: span.to.getTime() }, at: at.getTime() });
  return perSegment<ScoreStrips>(strips, (row) => ({ model: row.model, segment: row.segment, strips: strips.map(() => NO_CELLS) }), (entry, i, row) => {
    // The cache's own arrays, not copies: ScoreStrips are read-only.
    entry.strips[i] = { cells: row.indexes ?? [], counts: row.values };
  });
}

/**
 * The performance vector's layout (rollup_performance_delta.sql, rollup_labels_raw.sql): labeled, Σ Brier,
 * Σ log loss, Σ log loss², then the approved per grid cell from `positives`, the declined from `negatives`.
 */
export const PERFORMANCE_LAYOUT = { positives: 4, negatives: 4 + SCORE_GRID_CELLS, width: 4 + 2 * SCORE_GRID_CELLS } as const;

/** rollup_labels_raw.sql's parameters but the pieces' bounds: labels as of `atMs`, `bins` calibration bins. */
export function labelStripParams(scope: Scope, bins: number, atMs: number): QueryParams {
  return { ...scopeParams(scope), cal_bins: bins, at: chTime(atMs), skew_ms: OUTCOME_SKEW_MS, positives_at: PERFORMANCE_LAYOUT.positives, negatives_at: PERFORMANCE_LAYOUT.negatives };
}

/**
 * The label strips' cache and query (rollup_labels_raw.sql, labels as of `at`): per row the dense label vector and
 * the sparse performance vector of the same events, from one join of events and outcomes. Strips are whole once
 * the maturity delay after them is over. The windows' raw pieces and the approval rate's sequential test share them.
 */
function labelStripsOf(ctx: ReadContext, scope: Scope, bins: number, at: Date): Omit<StripRead, 'pieces'> {
  const { store, config } = ctx;
  return {
    ...stripsOf(ctx, `labels ${labelsFingerprint(config)} ${bins} ${scopeKey(scope)}`),
    at: at.getTime() - config.windows.maturity,
    labelsAt: at.getTime(),
    query: async (strips, rest) => {
      const params = labelStripParams(scope, bins, at.getTime());
      // Outcomes that can label the pieces: from each piece's start (less the skew) on, all of them (`settled`).
      const outcomes = widen([...strips, ...rest], OUTCOME_SKEW_MS, OPEN_END_MS);
      const rows = await selectQuery<LabelStripRow>(store, config, 'rollup_labels_raw', params, {
        ...stripPredicates('event_time', strips, rest, params),
        outcomes: piecesPredicate('outcome_time', outcomes, 'o_p', params),
      });
      return rows.map(
        (r): StripRow => ({
          slot: Number(r.slot),
          key: sumsKey(r.model, r.key),
          model: r.model,
          segment: r.segment,
          values: num(r.vec),
          settled: Number(r.settled),
          ...(Number(r.scored) > 0 ? { also: { values: num(r.perf_vec), indexes: num(r.perf_cells) } } : {}),
        }),
      );
    },
  };
}

interface LabelStripRow {
  model: string;
  key: string;
  segment: string[];
  slot: number;
  settled: number;
  vec: number[];
  scored: number;
  perf_cells: number[];
  perf_vec: number[];
}

/** The matured windows' raw pieces (reference, then each current window) as label sums (dense) and performance sums (sparse), labels as of `at`. */
export interface LabelsRaw {
  labels: SumsDelta[];
  performance: SumsDelta[];
}

/** Label and performance sums of the matured windows' raw pieces: one read of the label strips serves both. */
export async function labelsRaw(ctx: ReadContext, pieces: Piece[][], scope: Scope, bins: number, at: Date): Promise<LabelsRaw> {
  const out: LabelsRaw = { labels: [], performance: [] };
  for (const { row, window } of await readStripRows(ctx.store, ctx.config, { ...labelStripsOf(ctx, scope, bins, at), pieces })) {
    out.labels.push(stripDelta(row, window));
    if (row.also) out.performance.push(stripDelta(row, window, row.also));
  }
  return out;
}

/**
 * label_strips.sql's answer through the label strip cache: labeled and approved events per five-minute strip of
 * `span` (whole strips over by `at` less the maturity), oldest first, for segments with a labeled event in it. The
 * vector's second and third numbers are labeled and approved (rollup_labels_delta.sql's layout).
 */
export async function labelStripsRaw(ctx: ReadContext, span: TimeWindow, scope: Scope, bins: number, at: Date): Promise<LabelStrips[]> {
  const strips = await readEachStrip(ctx.store, ctx.config, { ...labelStripsOf(ctx, scope, bins, at), span: { from: span.from.getTime(), to: span.to.getTime() } });
  return perSegment<LabelStrips>(strips.map((rows) => rows.filter((row) => (row.values[1] as number) > 0)), (row) => ({ model: row.model, segment: row.segment, labeled: strips.map(() => 0), approved: strips.map(() => 0) }), (entry, i, row) => {
    entry.labeled[i] = row.values[1] as number;
    entry.approved[i] = row.values[2] as number;
  });
}

/**
 * Event-side quality counts of the raw pieces per model, one vector [rows, NaN, ±Inf, out of range, duplicates]
 * per window (current, reference, future): rollup_quality_raw.sql.
 */
export function qualityRaw(ctx: ReadContext, pieces: [Piece[], Piece[], Piece[]], models: string[], at: Date): Promise<SumsDelta[]> {
  const { store, config } = ctx;
  return readStrips(store, config, {
    ...stripsOf(ctx, `quality ${eventsFingerprint(config)} ${JSON.stringify(models)}`),
    pieces,
    at: at.getTime(),
    query: async (strips, rest) => {
      const params: QueryParams = { models };
      const rows = await selectQuery<{ model: string; slot: number; vec: number[] }>(store, config, 'rollup_quality_raw', params, stripPredicates('event_time', strips, rest, params));
      return rows.map((r): StripRow => ({ slot: Number(r.slot), key: sumsKey(r.model, ''), model: r.model, segment: [], values: num(r.vec) }));
    },
  });
}
