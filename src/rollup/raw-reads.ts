// The raw pieces of a cycle's windows (edges off the hour, hours not folded yet), read through the strip cache.
import { OPEN_END_MS, OUTCOME_SKEW_MS, widen, type Piece } from '../aggregates/pieces.js';
import { piecesPredicate, selectQuery } from '../aggregates/sql.js';
import type { Config } from '../config/index.js';
import { chTime, type QueryParams, type Store } from '../store/index.js';
import { eventsFingerprint, labelsFingerprint } from './fingerprint.js';
import type { RollupState } from './state.js';
import { readStrips, type StripCache, type StripRow } from './strips.js';
import type { SumsDelta } from './window-sums.js';

/** What a rollup read works with: the store, the config, and the state it keeps between cycles. */
export interface ReadContext {
  store: Store;
  config: Config;
  state: RollupState;
}

/** The strip cache of a question and the cycle reading it. */
function stripsOf(ctx: ReadContext, key: string): { cache: StripCache; cycle: number } {
  return { cache: ctx.state.stripCache(key), cycle: ctx.state.cycle };
}

/** `{{pieces:strips}}` and `{{pieces:restN}}` of a strip query, their bounds added to `params`. */
function stripPredicates(column: string, strips: Piece[], rest: Piece[][], params: QueryParams): Record<string, string> {
  const pieces: Record<string, string> = { strips: piecesPredicate(column, strips, 's_p', params) };
  rest.forEach((list, w) => (pieces[`rest${w}`] = piecesPredicate(column, list, `r${w}_p`, params)));
  return pieces;
}

const num = (values: readonly (number | string)[]): number[] => values.map(Number);

/** Score-cell counts of the PSI windows' raw pieces (reference, current): rollup_psi_raw.sql, sparse over cells. */
export function psiRaw(ctx: ReadContext, pieces: [Piece[], Piece[]], models: string[], at: Date): Promise<SumsDelta[]> {
  const { store, config } = ctx;
  return readStrips(store, config, {
    ...stripsOf(ctx, `psi ${eventsFingerprint(config)} ${JSON.stringify(models)}`),
    pieces,
    at: at.getTime(),
    query: async (strips, rest) => {
      const params: QueryParams = { models };
      const rows = await selectQuery<{ model: string; key: string; segment: string[]; slot: number; cells: number[]; counts: number[] }>(
        store,
        config,
        'rollup_psi_raw',
        params,
        stripPredicates('event_time', strips, rest, params),
      );
      return rows.map((r): StripRow => ({ slot: Number(r.slot), key: r.key, model: r.model, segment: r.segment, values: num(r.counts), indexes: num(r.cells) }));
    },
  });
}

/** Label sums of the matured windows' raw pieces (reference, current): rollup_labels_raw.sql, dense vectors. */
export function labelsRaw(ctx: ReadContext, pieces: [Piece[], Piece[]], models: string[], bins: number, at: Date): Promise<SumsDelta[]> {
  const { store, config } = ctx;
  const maturity = config.windows.maturity;
  return readStrips(store, config, {
    ...stripsOf(ctx, `labels ${labelsFingerprint(config)} ${bins} ${JSON.stringify(models)}`),
    pieces,
    // Strips of the matured windows: whole once the maturity delay after them is over.
    at: at.getTime() - maturity,
    labelsAt: at.getTime(),
    query: async (strips, rest) => {
      const params: QueryParams = { models, cal_bins: bins, at: chTime(at), skew_ms: OUTCOME_SKEW_MS };
      // Outcomes that can label the pieces: from each piece's start (less the skew) on, all of them (`settled`).
      const outcomes = widen([...strips, ...rest.flat()], OUTCOME_SKEW_MS, OPEN_END_MS);
      const rows = await selectQuery<{ model: string; key: string; segment: string[]; slot: number; settled: number; vec: number[] }>(store, config, 'rollup_labels_raw', params, {
        ...stripPredicates('event_time', strips, rest, params),
        outcomes: piecesPredicate('outcome_time', outcomes, 'o_p', params),
      });
      return rows.map((r): StripRow => ({ slot: Number(r.slot), key: r.key, model: r.model, segment: r.segment, values: num(r.vec), settled: Number(r.settled) }));
    },
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
      return rows.map((r): StripRow => ({ slot: Number(r.slot), key: '', model: r.model, segment: [], values: num(r.vec) }));
    },
  });
}
