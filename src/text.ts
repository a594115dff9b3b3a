// Showing user data (issuer names, segment values, reasons) anywhere a person reads it: one line, no control characters, capped.

/** Longest segment value shown; a 10 kB issuer name would bury the message it is part of. */
export const MAX_VALUE_LENGTH = 80;

/** Control characters (newlines, ANSI escapes, bidi overrides) would break lines, repaint a terminal or reorder text. */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/** Control characters other than newline and tab: what a multi-line document must not contain. */
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/** Shortens to `max` characters (code points, so emoji are not cut in half), marking the cut with …. */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** A value as it may be printed anywhere: one line, no control characters, capped. */
export function cleanValue(text: string, max = MAX_VALUE_LENGTH): string {
  return shorten(String(text).replace(CONTROL, ' '), max);
}

/** A whole document (report text, HTML) with control characters other than line breaks replaced. */
export function cleanDocument(text: string): string {
  return text.replace(CONTROL_EXCEPT_LINES, ' ');
}

/** A p-value as people read it: two significant digits, scientific below 0.001, and `< 1e-300` where a double underflows. */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  if (p === 0) return '< 1e-300';
  return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}
