// How numbers read wherever a person sees them (Slack, console, report): one set of words for rates, points and counts.
import { formatPValue } from '../text.js';

export const DASH = '—';
/** Between a number and its unit, so `6.23 %` never breaks over two lines. */
export const NBSP = '\u00a0';

export const signed = (n: number, digits: number) => `${n > 0 ? '+' : n < 0 ? '−' : '±'}${Math.abs(n).toFixed(digits)}`;

/** Three significant digits, or a grouped integer from 1,000 up: the compact form of a message line. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(3)));
}

/** A rate change in a message line: `−6.2 pp`. */
export const pp = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)} pp`;

/** A rate in a message line: `87.2%`; undefined when there is no number. */
export const percentText = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : undefined);

export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : DASH;
}

export function percent(rate: number, digits = 1): string {
  return Number.isFinite(rate) ? `${(rate * 100).toFixed(digits)}${NBSP}%` : DASH;
}

/** A change of a rate in percentage points: `−2.2 pp`, or `2.2 pp` unsigned (next to an arrow that says which way). */
export function points(delta: number, options: { sign?: boolean; digits?: number } = {}): string {
  if (!Number.isFinite(delta)) return DASH;
  const digits = options.digits ?? 1;
  const number = options.sign === false ? Math.abs(delta * 100).toFixed(digits) : signed(delta * 100, digits);
  return `${number}${NBSP}pp`;
}

export function decimal(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : DASH;
}

/** p- and q-values: small ones in scientific notation, so 1e-12 does not read as 0.000. */
export function probability(p: number): string {
  return Number.isFinite(p) ? formatPValue(p) : DASH;
}
