// Time pieces of windows and the time rules every read and fold shares: hours, the open end, outcome skew, orphan lookback.
import type { TimeWindow } from '../core/types.js';

export const HOUR_MS = 3_600_000;
/** Five minutes: the strips the rollup keeps at window edges, and the sequential test's unit of time. */
export const STRIP_MS = 300_000;
/** Stands for "no end" in a raw piece: DateTime64(3) reaches 2299. */
export const OPEN_END_MS = Date.UTC(2299, 0, 1);

/** A time range [from, to) in ms. */
export interface Piece {
  from: number;
  to: number;
}

export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const ceilHour = (ms: number): number => Math.ceil(ms / HOUR_MS) * HOUR_MS;

/** The complete hours inside a window, [ceil(from), floor(to)): the outcome hours orphan outcomes are counted over. */
export function completeHours(window: TimeWindow): Piece {
  const from = ceilHour(window.from.getTime());
  return { from, to: Math.max(from, floorHour(window.to.getTime())) };
}

/**
 * How far before its event an outcome may be stamped and still label it (clocks of the scoring service and the
 * authorisation log differ a little). Every label query applies it per event, so where a query starts reading
 * outcomes (a piece's start less this) never changes a label.
 */
export const OUTCOME_SKEW_MS = 5 * 60_000;

/** An outcome with no scoring event in this span before its hour is an orphan: a day, or the maturity delay if longer. */
export function orphanLookbackMs(maturityMs: number): number {
  return Math.max(24 * HOUR_MS, maturityMs);
}

/** The pieces, each widened by `before` and `after` (capped at the open end), overlapping ones merged. */
export function widen(pieces: readonly Piece[], before: number, after: number): Piece[] {
  const out: Piece[] = [];
  const sorted = pieces.map((p) => ({ from: p.from - before, to: Math.min(OPEN_END_MS, p.to + after) })).sort((a, b) => a.from - b.from);
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p.from <= last.to) last.to = Math.max(last.to, p.to);
    else out.push(p);
  }
  return out;
}

/**
 * The window a version must have served in to count as serving now (an experiment's arms serve side by side): from
 * the hour before the current window's last hour boundary to its end, so one to two hours, and whole folded hours
 * where it can be.
 */
export function recentWindow(current: { to: Date }): { from: Date; to: Date } {
  return { from: new Date(floorHour(current.to.getTime()) - HOUR_MS), to: current.to };
}
