// Splits a time window into full hours the rollup holds and raw pieces (partial hours at the edges, hours not folded yet).
import type { TimeWindow } from '../core/types.js';
import { ceilHour, floorHour, HOUR_MS, type Piece } from '../aggregates/pieces.js';
import { chSecond, foldedParams, piecesPredicate } from '../aggregates/sql.js';
import type { QueryParams } from '../store/index.js';

// The report's traffic read takes the label rule's skew from here.
export { OUTCOME_SKEW_MS } from '../aggregates/pieces.js';

export interface WindowPlan {
  /** Start of the first and end of the last full hour inside the window: rollup rows in [hourFrom, hourTo) that are folded. */
  hourFrom: number;
  hourTo: number;
  /** Starts of the folded hours the plan reads from the rollup. */
  hours: number[];
  /** Everything else in the window, read from the raw tables. */
  raw: Piece[];
}

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

export function planWindow(window: TimeWindow, folded: ReadonlySet<number>): WindowPlan {
  return planRange(window.from.getTime(), window.to.getTime(), folded);
}

/** Hour columns are DateTime (to 2106): an open end is capped here. */
const LAST_HOUR_MS = Date.UTC(2100, 0, 1);

export interface PlannedWindows {
  /** `{NAME_hour_from}`, `{NAME_hour_to}`, the raw pieces' bounds and `{FOLDED_base}`/`{FOLDED_versions}`. */
  params: QueryParams;
  /** `{{pieces:NAME}}`: the raw pieces of each window as a predicate. */
  pieces: Record<string, string>;
  plans: Record<string, WindowPlan>;
}

/** Hour ranges, folded (hour, version) pairs and raw-piece predicates of named windows, as query parameters. */
export function planWindows(
  ledger: ReadonlyMap<number, { version: number }>,
  windows: Record<string, TimeWindow | WindowPlan>,
  column = 'event_time',
  folded = 'folded',
): PlannedWindows {
  const hours = new Set(ledger.keys());
  const params: QueryParams = {};
  const pieces: Record<string, string> = {};
  const plans: Record<string, WindowPlan> = {};
  const used: number[] = [];
  for (const [name, w] of Object.entries(windows)) {
    const plan = 'raw' in w ? w : planWindow(w, hours);
    plans[name] = plan;
    params[`${name}_hour_from`] = chSecond(plan.hourFrom);
    params[`${name}_hour_to`] = chSecond(Math.min(plan.hourTo, LAST_HOUR_MS));
    pieces[name] = piecesPredicate(column, plan.raw, `${name}_p`, params);
    used.push(...plan.hours);
  }
  foldedParams(folded, ledger, [...new Set(used)], params);
  return { params, pieces, plans };
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
