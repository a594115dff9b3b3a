// The week a report covers, the week before it, and the key that makes a week's email unique.
import type { TimeWindow } from '../core/types.js';

const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

export interface ReportPeriod {
  /** The reported week: the 7 days before `at`, floored to UTC midnight. */
  week: TimeWindow;
  /** The 7 days before it, for every comparison. */
  previous: TimeWindow;
  /** ISO week of `week.from` (`2026-W47`): one email per key, ever. */
  key: string;
  /** When the report was asked for. */
  at: Date;
}

/**
 * Flooring to midnight makes every run on one day report the same week, so a retry hours later is the
 * same report; with the default schedule (Monday 08:00) the week is Monday to Sunday.
 */
export function reportPeriod(at: Date): ReportPeriod {
  const to = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const from = to - WEEK_MS;
  return {
    week: { from: new Date(from), to: new Date(to) },
    previous: { from: new Date(from - WEEK_MS), to: new Date(from) },
    key: isoWeek(new Date(from)),
    at,
  };
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
