// Times and dates as a user may write them in a JSON row, checked and normalised to the UTC text ClickHouse reads.
import { clip } from './messages.js';

/** `YYYY-MM-DD hh:mm:ss[.f…]` with an optional zone; `T` instead of the space requires the zone (see parseTime). */
const TIME = /^(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What ClickHouse can store: outside these bounds it clamps silently, so such values are refused instead. */
const RANGES = {
  DateTime: { from: Date.UTC(1970, 0, 1), to: Date.UTC(2106, 1, 7, 6, 28, 15) },
  DateTime64: { from: Date.UTC(1900, 0, 1), to: Date.UTC(2299, 11, 31, 23, 59, 59, 999) },
  Date: { from: Date.UTC(1970, 0, 1), to: Date.UTC(2149, 5, 6) },
  Date32: { from: Date.UTC(1900, 0, 1), to: Date.UTC(2299, 11, 31) },
} as const;

export type TimeKind = 'DateTime' | 'DateTime64';
export type DateKind = 'Date' | 'Date32';

/** A time or date that could not be read, and why. */
export interface TimeProblem {
  problem: string;
}

const EXPECTED_TIME = 'expected a time like "2026-11-24 12:00:00.000" (UTC) or ISO 8601 with Z or an offset';

/**
 * Reads a time and returns it in UTC as `YYYY-MM-DD hh:mm:ss[.f…]` with `precision` fraction digits.
 * A `T`-separated time without a zone is refused: ISO 8601 reads it as local time, which is ambiguous here.
 * Digits beyond the column's precision are cut, as ClickHouse itself would.
 */
export function parseTime(text: string, kind: TimeKind, precision: number): string | TimeProblem {
  const m = TIME.exec(text);
  if (!m) return { problem: `${EXPECTED_TIME}, got ${JSON.stringify(clip(text))}` };
  const [, y, mo, d, sep, h, mi, s, fraction = '', zone] = m as unknown as string[];
  if (sep === 'T' && zone === undefined) return { problem: `ISO 8601 time ${JSON.stringify(text)} needs Z or an offset such as +02:00` };
  const day = dayStart(text.slice(0, 10), Number(y), Number(mo), Number(d));
  const [hours, minutes, seconds] = [Number(h), Number(mi), Number(s)];
  if (day === undefined || hours > 23 || minutes > 59 || seconds > 59) return { problem: `${JSON.stringify(text)} is not a real date and time` };
  const local = day + ((hours * 60 + minutes) * 60 + seconds) * 1000;
  const offset = zone === undefined ? 0 : offsetMinutes(zone);
  if (offset === undefined) return { problem: `${JSON.stringify(text)} has an impossible UTC offset ${zone}` };
  // The offset is whole minutes, so only the seconds move; the fraction digits are kept exactly as written.
  const utc = local - offset * 60_000;
  const range = RANGES[kind];
  if (utc < range.from || utc > range.to) return { problem: `${JSON.stringify(text)} is outside the range of ${kind}` };
  // Most files already write the canonical form: then the text is the answer, with no formatting to pay for.
  if (sep === ' ' && zone === undefined && fraction.length === precision) return text;
  const digits = precision > 0 ? `.${fraction.padEnd(precision, '0').slice(0, precision)}` : '';
  return formatUtc(utc) + digits;
}

/** Reads a calendar date `YYYY-MM-DD`. */
export function parseDate(text: string, kind: DateKind): string | TimeProblem {
  const m = DATE.exec(text);
  if (!m) return { problem: `expected a date like "2026-11-24", got ${JSON.stringify(clip(text))}` };
  const ms = dayStart(text, Number(m[1]), Number(m[2]), Number(m[3]));
  if (ms === undefined) return { problem: `${JSON.stringify(text)} is not a real date` };
  const range = RANGES[kind];
  if (ms < range.from || ms > range.to) return { problem: `${JSON.stringify(text)} is outside the range of ${kind}` };
  return text;
}

/** True when ClickHouse reads text times in this zone as UTC. */
export function isUtcZone(zone: string): boolean {
  return /^(Etc\/)?(UTC|UCT|GMT|GMT0|Zulu|Universal|Greenwich)$/i.test(zone);
}

/** The start of each date seen (undefined: no such date), by its text: rows share few dates, and Date is the slow part. */
const dayStarts = new Map<string, number | undefined>();

function dayStart(key: string, y: number, mo: number, d: number): number | undefined {
  const cached = dayStarts.get(key);
  if (cached !== undefined || dayStarts.has(key)) return cached;
  if (dayStarts.size >= 10_000) dayStarts.clear();
  // setUTCFullYear, unlike Date.UTC, keeps years below 100 as written instead of reading 0050 as 1950.
  const ms = mo < 1 || mo > 12 || d < 1 ? undefined : new Date(0).setUTCFullYear(y, mo - 1, d);
  // 30 February rolls over into March; a changed day means the date does not exist.
  const real = ms !== undefined && new Date(ms).getUTCDate() === d ? ms : undefined;
  dayStarts.set(key, real);
  return real;
}

/** `Z`, `+02`, `+0200` or `-05:30` as minutes east of UTC. */
function offsetMinutes(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

function formatUtc(ms: number): string {
  const t = new Date(ms);
  return `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
