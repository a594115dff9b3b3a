// Making user data (model, feature, segment values) inert in Slack messages and on a terminal.
import { cleanValue, CONTROL, shorten } from '../../text.js';

export { cleanValue, MAX_VALUE_LENGTH, shorten } from '../../text.js';

/**
 * Look-alikes for mrkdwn's formatting characters: mrkdwn has no backslash escape, so `*bold*` in an issuer
 * name would turn bold (or `~x~` strike through) unless the characters themselves are replaced.
 */
const LOOKALIKE: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ' };

/** Slack's three reserved characters: with them escaped, `<!channel>` or `<@U123>` cannot ping anyone. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A user-supplied value inside mrkdwn: cleaned, capped, formatting neutralised, reserved characters escaped. */
export function mrkdwnValue(text: string, max = 80): string {
  return escapeMrkdwn(cleanValue(text, max).replace(/[*_~`]/g, (c) => LOOKALIKE[c] as string));
}

/**
 * Text for a plain_text object (the header): Slack shows it literally, so only the angle brackets are
 * swapped for look-alikes, keeping even a literal `<!channel>` out of the request.
 */
export function plainTextValue(text: string, max: number): string {
  return shorten(String(text).replace(CONTROL, ' ').replace(/</g, '‹').replace(/>/g, '›'), max);
}
