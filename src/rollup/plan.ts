// Splits a time window into full hours the rollup holds and raw pieces (partial hours at the edges, hours not folded yet).
import type { TimeWindow } from '../monitors/types.js';

export const HOUR_MS = 3_600_000;
/** Stands for "no end" in a raw piece: DateTime64(3) reaches 2299. */
export const OPEN_END_MS = Date.UTC(2299, 0, 1);

export interface Piece {
  from: number;
  to: number;
}

export interface WindowPlan {
  /** Start of the first and end of the last full hour inside the window: rollup rows in [hourFrom, hourTo) that are folded. */
  hourFrom: number;
  hourTo: number;
  /** Starts of the folded hours the plan reads from the rollup. */
  hours: number[];
  /** Everything else in the window, read from the raw tables. */
  raw: Piece[];
}

export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const ceilHour = (ms: number): number => Math.ceil(ms / HOUR_MS) * HOUR_MS;

function pushPiece(pieces: Piece[], from: number, to: number): void {
  if (to <= from) return;
  const last = pieces[pieces.length - 1];
  if (last && last.to === from) last.to = to;
  else pieces.push({ from, to });
}

/** Plans [from, to): folded full hours from the rollup, the rest raw. `to` may be OPEN_END_MS. */
export function planRange(from: number, to: number, folded: ReadonlySet<number>): WindowPlan {
  const hourFrom = ceilHour(from);
  const hourTo = Math.max(hourFrom, floorHour(to));
  const plan: WindowPlan = { hourFrom, hourTo, hours: [], raw: [] };
  if (hourFrom >= hourTo) {
    pushPiece(plan.raw, from, to);
    return plan;
  }
  pushPiece(plan.raw, from, hourFrom);
  // Folded hours past the last folded one are all raw: an open end need not walk to 2299.
  let lastFolded = -Infinity;
  for (const h of folded) if (h >= hourFrom && h < hourTo && h > lastFolded) lastFolded = h;
  for (let h = hourFrom; h < hourTo; h += HOUR_MS) {
    if (h > lastFolded) {
      pushPiece(plan.raw, h, hourTo);
      break;
    }
    if (folded.has(h)) plan.hours.push(h);
    else pushPiece(plan.raw, h, h + HOUR_MS);
  }
  pushPiece(plan.raw, hourTo, to);
  return plan;
}

/** The complete hours inside a window, [ceil(from), floor(to)): the outcome hours orphan outcomes are counted over. */
export function completeHours(window: TimeWindow): Piece {
  const from = ceilHour(window.from.getTime());
  return { from, to: Math.max(from, floorHour(window.to.getTime())) };
}

export function planWindow(window: TimeWindow, folded: ReadonlySet<number>): WindowPlan {
  return planRange(window.from.getTime(), window.to.getTime(), folded);
}

const DAY_MS = 24 * HOUR_MS;

/**
 * Contiguous runs of hour starts, each at most `maxHours` long and never across a UTC midnight: the chunks a
 * fold or a count query reads. The events table is partitioned by day, so a chunk reads one partition.
 */
export function hourRuns(hours: readonly number[], maxHours = Infinity): Piece[] {
  const runs: Piece[] = [];
  for (const h of [...new Set(hours)].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && last.to === h && h % DAY_MS !== 0 && (last.to - last.from) / HOUR_MS < maxHours) last.to = h + HOUR_MS;
    else runs.push({ from: h, to: h + HOUR_MS });
  }
  return runs;
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
