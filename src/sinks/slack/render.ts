// Two renderings of one message (an alert group's or a shadow verdict's): Slack Block Kit (mrkdwn, escaped) and plain text for the console.
import type { Block, KnownBlock } from '@slack/web-api';
import type { AnyNotification } from '../../alerts/types.js';
import type { Config } from '../../config/index.js';
import { cleanValue, escapeMrkdwn, mrkdwnValue, plainTextValue, shorten } from './escape.js';
import { describeNotification, type AlertMessage, type Line, type Span } from './message.js';
import { describeExperiment, describeVerdict, type VerdictMessage } from './verdict.js';

export interface SlackMessage {
  /** Notification and fallback text; Slack treats it as mrkdwn, so it is escaped like the blocks. */
  text: string;
  blocks: (KnownBlock | Block)[];
}

/** Slack's limits: header 150 characters, section text 3000. */
const MAX_HEADER = 150;
const MAX_SECTION = 3000;

function utc(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function mrkdwnSpan(span: Span): string {
  if (typeof span === 'string') return escapeMrkdwn(span);
  if ('bold' in span) return `*${escapeMrkdwn(span.bold)}*`;
  if ('value' in span) return mrkdwnValue(span.value, span.max);
  // Slack shows the time in the reader's own zone; the text after | is what clients without it show.
  return `<!date^${Math.floor(span.time.getTime() / 1000)}^{date_short_pretty} {time}|${utc(span.time)}>`;
}

function plainSpan(span: Span): string {
  if (typeof span === 'string') return span;
  if ('bold' in span) return span.bold;
  if ('value' in span) return cleanValue(span.value, span.max);
  return utc(span.time);
}

export const mrkdwnLine = (line: Line) => line.map(mrkdwnSpan).join('');
export const plainLine = (line: Line) => line.map(plainSpan).join('');

/** Section text, kept under Slack's limit: an over-long block would make Slack reject the whole message. */
function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text: shorten(text, MAX_SECTION), verbatim: true };
}

function button(text: string, url: string, actionId: string) {
  return { type: 'button' as const, text: { type: 'plain_text' as const, text, emoji: true }, url, action_id: actionId };
}

export function toSlackMessage(message: AlertMessage): SlackMessage {
  const { emoji, what, model } = message.title;
  const header = plainTextValue(`${emoji} ${what} — ${cleanValue(model, 60)}`, MAX_HEADER);
  const blocks: (KnownBlock | Block)[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    { type: 'section', text: mrkdwn(mrkdwnLine(message.summary)) },
  ];
  if (message.context.length > 0) blocks.push({ type: 'context', elements: [mrkdwn(message.context.map(mrkdwnLine).join('\n'))] });
  message.alerts.forEach((entry, i) => {
    const text = mrkdwn(entry.lines.map(mrkdwnLine).join('\n'));
    blocks.push(entry.url ? { type: 'section', text, accessory: button('📈 Grafana', entry.url, `grafana-${i}`) } : { type: 'section', text });
  });
  if (message.moreAlerts > 0) blocks.push({ type: 'context', elements: [mrkdwn(`…and ${message.moreAlerts} more firing (all of them in Grafana)`)] });
  if (message.resolved.length > 0) {
    const more = message.moreResolved > 0 ? `\n…and ${message.moreResolved} more resolved` : '';
    blocks.push({ type: 'section', text: mrkdwn(`${message.resolved.map(mrkdwnLine).join('\n')}${more}`) });
  }
  if (message.warnings) blocks.push({ type: 'context', elements: [mrkdwn(mrkdwnLine(message.warnings))] });
  if (message.runbookUrl) blocks.push({ type: 'actions', elements: [button('📖 Runbook', message.runbookUrl, 'runbook')] });
  const text = `${escapeMrkdwn(`${emoji} ${what} — `)}${mrkdwnValue(model, 60)}: ${mrkdwnLine(message.summary)}`;
  return { text, blocks };
}

/** The same message as lines of text, for a terminal: what `driftwatch demo` prints when Slack is not configured. */
export function toPlainText(message: AlertMessage): string {
  const { emoji, what, model } = message.title;
  const lines = [`${emoji} ${what} — ${cleanValue(model, 60)}`, plainLine(message.summary), ...message.context.map(plainLine)];
  for (const entry of message.alerts) {
    lines.push('', ...entry.lines.map((line) => `  ${plainLine(line)}`));
    if (entry.url) lines.push(`  Grafana: ${entry.url}`);
  }
  if (message.moreAlerts > 0) lines.push('', `  …and ${message.moreAlerts} more firing`);
  if (message.resolved.length > 0) lines.push('', ...message.resolved.map((line) => `  ${plainLine(line)}`));
  if (message.moreResolved > 0) lines.push(`  …and ${message.moreResolved} more resolved`);
  if (message.warnings) lines.push('', `  ${plainLine(message.warnings)}`);
  if (message.runbookUrl) lines.push('', `Runbook: ${message.runbookUrl}`);
  return lines.join('\n');
}

/** A verdict message: the title as header, the numbers (with the shadow's dashboard), then the reasons as a list. */
export function verdictToSlackMessage(message: VerdictMessage): SlackMessage {
  const summary = mrkdwn(mrkdwnLine(message.summary));
  const blocks: (KnownBlock | Block)[] = [
    { type: 'header', text: { type: 'plain_text', text: plainTextValue(plainLine(message.title), MAX_HEADER), emoji: true } },
    message.url ? { type: 'section', text: summary, accessory: button('📈 Shadow vs live', message.url, 'grafana-shadow') } : { type: 'section', text: summary },
  ];
  if (message.reasons.length > 0) {
    const more = message.moreReasons > 0 ? `\n…and ${message.moreReasons} more` : '';
    blocks.push({ type: 'section', text: mrkdwn(`${message.reasons.map((r) => `• ${mrkdwnLine(r)}`).join('\n')}${more}`) });
  }
  return { text: `${mrkdwnLine(message.title)} — ${mrkdwnLine(message.summary)}`, blocks };
}

export function verdictToPlainText(message: VerdictMessage): string {
  const lines = [plainLine(message.title), plainLine(message.summary)];
  if (message.reasons.length > 0) lines.push('', ...message.reasons.map((r) => `  • ${plainLine(r)}`));
  if (message.moreReasons > 0) lines.push(`  …and ${message.moreReasons} more`);
  if (message.url) lines.push('', `Grafana: ${message.url}`);
  return lines.join('\n');
}

/** Any notification as Slack blocks. */
export function slackMessageFor(n: AnyNotification, config: Config): SlackMessage {
  if (n.kind === 'verdict') return verdictToSlackMessage(describeVerdict(n, config));
  if (n.kind === 'experiment') return verdictToSlackMessage(describeExperiment(n, config));
  return toSlackMessage(describeNotification(n, config));
}

/** Any notification as text, the same words as in Slack. */
export function plainTextFor(n: AnyNotification, config: Config): string {
  if (n.kind === 'verdict') return verdictToPlainText(describeVerdict(n, config));
  if (n.kind === 'experiment') return verdictToPlainText(describeExperiment(n, config));
  return toPlainText(describeNotification(n, config));
}
