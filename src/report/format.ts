// Number, time and change formatting shared by the HTML and text reports, so both say the same thing.
import type { Segment } from '../core/types.js';
import { cleanValue } from '../text.js';
import { NBSP, points, signed } from '../core/format.js';

export { count, DASH, decimal, NBSP, percent, points, probability } from '../core/format.js';

export function segmentText(segment: Segment): string {
  const values = Object.values(segment).map((value) => cleanValue(value));
  return values.length > 0 ? values.join(' · ') : 'all traffic';
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mon 16 Nov`: spelled out by hand so the text does not depend on the machine's ICU data. */
function dayMonth(date: Date): string {
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** `Mon 16 Nov 08:00` in UTC: the report is read across time zones, so it says UTC once and keeps to it. */
export function time(date: Date): string {
  return `${dayMonth(date)} ${date.toISOString().slice(11, 16)}`;
}

/** `Mon 16 Nov 2026` */
export function day(date: Date): string {
  return `${dayMonth(date)} ${date.getUTCFullYear()}`;
}

/** `16–22 Nov 2026`, `30 Nov – 6 Dec 2026`: the short form for a subject line. */
export function shortRange(from: Date, to: Date): string {
  const last = new Date(to.getTime() - 1);
  const year = last.getUTCFullYear();
  if (from.getUTCMonth() === last.getUTCMonth()) return `${from.getUTCDate()}–${last.getUTCDate()} ${MONTHS[last.getUTCMonth()]} ${year}`;
  return `${from.getUTCDate()} ${MONTHS[from.getUTCMonth()]} – ${last.getUTCDate()} ${MONTHS[last.getUTCMonth()]} ${year}`;
}

const atMidnight = (date: Date) => date.getTime() % 86_400_000 === 0;
const clock = (date: Date) => date.toISOString().slice(11, 16);

/**
 * A [from, to) range in days when it is whole days (a week ending at Monday 00:00 ends on Sunday), else with
 * its hours: `Mon 16 Nov 2026 08:00 – Mon 23 Nov 2026 08:00` (the rolling week ends at the report's hour).
 */
export function range(from: Date, to: Date): string {
  if (atMidnight(from) && atMidnight(to)) return `${day(from)} – ${day(new Date(to.getTime() - 1))}`;
  return `${day(from)} ${clock(from)} – ${day(to)} ${clock(to)}`;
}

/** `2026-11-16` or `2026-11-16 08:00`: an edge of a range, with its time unless at midnight. */
export function edge(date: Date): string {
  return atMidnight(date) ? date.toISOString().slice(0, 10) : `${date.toISOString().slice(0, 10)} ${clock(date)}`;
}

export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60 ? `${minutes % 60} min` : ''}`.trim();
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export type Tone = 'good' | 'bad' | 'neutral';

export interface Trend {
  arrow: '▲' | '▼' | '→' | '';
  /** The change, e.g. `+1.2 pp` or `−3.4 %`; empty when either side is missing. */
  change: string;
  tone: Tone;
}

export interface TrendOptions {
  /** How the change is written: `relative` (volume), `points` (a rate, in percentage points), `absolute`. */
  kind: 'relative' | 'points' | 'absolute';
  /** Which way is better; `neither` for volume. */
  better: 'higher' | 'lower' | 'neither';
  /** Changes smaller than this (in the change's own unit) are flat. */
  flat: number;
}

export function trend(current: number, previous: number, options: TrendOptions): Trend {
  if (!Number.isFinite(current) || !Number.isFinite(previous)) return { arrow: '', change: '', tone: 'neutral' };
  const diff = current - previous;
  let size: number;
  let change: string;
  if (options.kind === 'relative') {
    if (previous === 0) return { arrow: current > 0 ? '▲' : '→', change: current > 0 ? 'new' : '', tone: 'neutral' };
    size = (diff / previous) * 100;
    change = `${signed(size, 1)}${NBSP}%`;
  } else if (options.kind === 'points') {
    size = diff * 100;
    change = points(diff);
  } else {
    size = diff;
    change = signed(size, 3);
  }
  if (Math.abs(size) < options.flat) return { arrow: '→', change, tone: 'neutral' };
  const up = diff > 0;
  const tone: Tone = options.better === 'neither' ? 'neutral' : up === (options.better === 'higher') ? 'good' : 'bad';
  return { arrow: up ? '▲' : '▼', change, tone };
}

/** The changes the headline shows, each judged the way a reader of that number would. */
export const TRENDS = {
  volume: { kind: 'relative', better: 'neither', flat: 0.5 },
  approvalRate: { kind: 'points', better: 'higher', flat: 0.05 },
  ece: { kind: 'absolute', better: 'lower', flat: 0.0005 },
  psi: { kind: 'absolute', better: 'lower', flat: 0.0005 },
} as const satisfies Record<string, TrendOptions>;
