// The week a report covers, the week before it, and the key that makes a week's email unique.
import type { TimeWindow } from '../core/types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** `rolling`: the seven days ending at the report's time; `iso-week`: the last complete ISO week (Monday to Monday, UTC). */
export type ReportPeriodKind = 'rolling' | 'iso-week';

export interface ReportPeriod {
  /** The reported week: the seven days before `at` (to its hour), or the last complete ISO week. */
  week: TimeWindow;
  /** The 7 days before it, for every comparison. */
  previous: TimeWindow;
  /**
   * Alerts that fired before this are the report's: the rolling week's own time (so an alert of its last, partial
   * hour is in it), or the ISO week's end (a report made mid-week does not pull in this week's alerts).
   */
  alertsUntil: Date;
  /** ISO week of `week.from` (`2026-W47`): one email per key, ever. */
  key: string;
  /** When the report was asked for. */
  at: Date;
}

/**
 * The rolling week ends at `at`'s hour: the rollup serves whole hours, and a retry within the hour is the same
 * report (a kept report is what every retry sends anyway: record.ts). The key is the ISO week of its start, so the
 * default schedule (Monday 08:00) keeps one email per week; `iso-week` reports Monday 00:00 to Monday 00:00 UTC.
 */
export function reportPeriod(at: Date, kind: ReportPeriodKind = 'rolling'): ReportPeriod {
  const to = kind === 'rolling' ? Math.floor(at.getTime() / HOUR_MS) * HOUR_MS : isoWeekStart(at);
  const from = to - WEEK_MS;
  return {
    week: { from: new Date(from), to: new Date(to) },
    previous: { from: new Date(from - WEEK_MS), to: new Date(from) },
    alertsUntil: kind === 'rolling' ? at : new Date(to),
    key: isoWeek(new Date(from)),
    at,
  };
}

/** Monday 00:00 UTC of the ISO week holding `at`. */
function isoWeekStart(at: Date): number {
  const midnight = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const weekday = new Date(midnight).getUTCDay() || 7;
  return midnight - (weekday - 1) * DAY_MS;
}

/** ISO 8601 week of a UTC date, e.g. `2026-W47` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
