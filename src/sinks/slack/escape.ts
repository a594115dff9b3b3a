// Making user data (model, feature, segment values) inert in Slack messages and on a terminal.

/** Longest segment value shown; a 10 kB issuer name would bury the alert and break Slack's block limits. */
export const MAX_VALUE_LENGTH = 80;

/**
 * Look-alikes for mrkdwn's formatting characters: mrkdwn has no backslash escape, so `*bold*` in an issuer
 * name would turn bold (or `~x~` strike through) unless the characters themselves are replaced.
 */
const LOOKALIKE: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ' };

/** Control characters (newlines, ANSI escapes, bidi overrides) would break lines or repaint a terminal. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/** Shortens to `max` characters (code points, so emoji are not cut in half), marking the cut with …. */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** A value as it may be printed anywhere: one line, no control characters, capped. */
export function cleanValue(text: string, max = MAX_VALUE_LENGTH): string {
  return shorten(String(text).replace(CONTROL, ' '), max);
}

/** Slack's three reserved characters: with them escaped, `<!channel>` or `<@U123>` cannot ping anyone. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A user-supplied value inside mrkdwn: cleaned, capped, formatting neutralised, reserved characters escaped. */
export function mrkdwnValue(text: string, max = MAX_VALUE_LENGTH): string {
  return escapeMrkdwn(cleanValue(text, max).replace(/[*_~`]/g, (c) => LOOKALIKE[c] as string));
}

/**
 * Text for a plain_text object (the header): Slack shows it literally, so only the angle brackets are
 * swapped for look-alikes, keeping even a literal `<!channel>` out of the request.
 */
export function plainTextValue(text: string, max: number): string {
  return shorten(String(text).replace(CONTROL, ' ').replace(/</g, '‹').replace(/>/g, '›'), max);
}
