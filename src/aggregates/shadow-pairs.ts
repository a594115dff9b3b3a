// queries/shadow_pairs.sql over given pieces of the current and matured windows: what the fold, the raw read and the rollup's raw pieces share.
import type { Config } from '../config/index.js';
import { chTime, type QueryParams } from '../store/index.js';
import { HOUR_MS, OPEN_END_MS, OUTCOME_SKEW_MS, widen, type Piece } from './pieces.js';
import { piecesPredicate, querySql } from './sql.js';

/** A pair's shadow row is scored within this of its live row. */
export const PAIR_SPAN_MS = HOUR_MS;

/**
 * The text of shadow_pairs.sql for live events in `current` or `matured` (their bounds and `at` added to
 * `params`): shadow rows read an hour either side of the pieces, outcomes from the matured pieces' start (less the
 * skew) on, labels as of `at` (a fold passes the open end: every outcome the table holds).
 */
export function shadowPairsSql(config: Config, current: readonly Piece[], matured: readonly Piece[], at: number, params: QueryParams): string {
  params.at = chTime(at);
  params.skew_ms = OUTCOME_SKEW_MS;
  return querySql('shadow_pairs', config, {
    cur: piecesPredicate('event_time', current, 'spc', params),
    mat: piecesPredicate('event_time', matured, 'spm', params),
    shadow: shadowPieces(current, matured, params),
    outcomes: piecesPredicate('outcome_time', widen(matured, OUTCOME_SKEW_MS, OPEN_END_MS), 'spo', params),
  });
}

/** The shadow rows a pair of live events in `current` or `matured` may have: those pieces widened by an hour. */
function shadowPieces(current: readonly Piece[], matured: readonly Piece[], params: QueryParams): string {
  return piecesPredicate('event_time', widen([...current, ...matured], PAIR_SPAN_MS, PAIR_SPAN_MS), 'sps', params);
}

/** The text of shadow_present.sql for live events in `current` or `matured` (their shadow pieces' bounds added to `params`). */
export function shadowPresentSql(config: Config, current: readonly Piece[], matured: readonly Piece[], params: QueryParams): string {
  return querySql('shadow_present', config, { shadow: shadowPieces(current, matured, params) });
}
