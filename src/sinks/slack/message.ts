// What an alert message says, independent of markup: Slack renders it as Block Kit, the console as text.
import type { AlertView, Notification } from '../../alerts/types.js';
import type { Config } from '../../config/index.js';
import { formatNumber, pp } from '../../core/format.js';
import type { Line, Span } from '../../core/message.js';
import { monitorNamed } from '../../monitors/registry.js';
import { formatPValue } from '../../text.js';

export type { Line, Span };

export interface AlertEntry {
  lines: Line[];
  /** Grafana drill-down of the segment; absent without grafanaUrl or when it would be too long for Slack. */
  url?: string;
}

export interface AlertMessage {
  /** Header: severity and what happened, e.g. `🔴 Approval rate dropped — card-auth`; the model is user data. */
  title: { emoji: string; what: string; model: string };
  summary: Line;
  alerts: AlertEntry[];
  moreAlerts: number;
  resolved: Line[];
  moreResolved: number;
  warnings?: Line;
  runbookUrl: string;
}

/** Alerts listed in one message; the rest are counted ("and N more"), the Grafana dashboard has them all. */
export const MAX_LISTED = 10;
/** Slack rejects a button URL longer than this, and with it the whole message. */
const MAX_URL = 3000;

const KIND_EMOJI = { firing: '🔴', update: '🔴', repeat: '🔁', resolved: '✅' } as const;

/** A group's header in its monitor's words; a monitor this version does not know (an old stored alert) gets its name. */
function headline(monitor: string, views: AlertView[]): string {
  return monitorNamed(monitor)?.present.headline(views) ?? `${monitor} alert`;
}

export { formatNumber, formatPValue, pp };

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** The judged number (and its threshold), in the monitor's own terms. */
function measure(v: AlertView, withThreshold = true): Line {
  const present = monitorNamed(v.monitor)?.present;
  const line: Line = present ? present.measure(v) : [{ value: v.feature }, ` ${formatNumber(v.value)}`];
  if (withThreshold) line.push(`, threshold ${present ? present.threshold(v) : formatNumber(v.threshold)}`);
  return line;
}

/**
 * Segment values in the configured column order (then any others), e.g. `issuer` Chase · `region` EU; a shadow's
 * alerts name the shadow too, since two shadows of one model can alert on the same segment.
 */
function where(v: AlertView, config: Config): Line {
  const names = [...config.segments.filter((c) => c in v.segment), ...Object.keys(v.segment).filter((c) => !config.segments.includes(c))];
  const shadow: Line = v.shadowVersion !== undefined ? [{ bold: 'shadow' }, ' ', { value: v.shadowVersion }] : [];
  if (names.length === 0) return shadow.length > 0 ? ['all traffic · ', ...shadow] : ['all traffic'];
  const segment = names.flatMap((name, i): Span[] => [...(i > 0 ? [' · '] : []), { bold: name }, ' ', { value: v.segment[name] ?? '' }]);
  return shadow.length > 0 ? [...segment, ' · ', ...shadow] : segment;
}

/** `${grafanaUrl}/d/${dashboard}?var-…=…`, every name and value URL-encoded; none without grafanaUrl or when too long for Slack. */
export function grafanaLink(config: Config, dashboard: string, vars: [string, string][]): string | undefined {
  const base = config.alerts.grafanaUrl.replace(/\/+$/, '');
  if (!base) return undefined;
  const params = vars.map(([k, value]) => `var-${encodeURIComponent(k)}=${encodeURIComponent(value)}`);
  const url = `${base}/d/${dashboard}?${params.join('&')}`;
  return url.length <= MAX_URL ? url : undefined;
}

/** The segment drill-down: `…/d/driftwatch-segment/segment-drill-down?var-model=…&var-<segment>=…`. */
export function drillDownUrl(v: Pick<AlertView, 'model' | 'segment'>, config: Config): string | undefined {
  return grafanaLink(config, 'driftwatch-segment/segment-drill-down', [['model', v.model], ...Object.entries(v.segment)]);
}

function alertEntry(v: AlertView, n: Notification, config: Config): AlertEntry {
  const mark = v.severity === 'critical' ? '🔴' : '🟠';
  const first: Line = [`${mark} `, ...where(v, config), ...(v.isNew && n.kind !== 'firing' ? [' — ', { bold: 'new' }] : [])];
  const second: Line = [...measure(v), ...(v.pValue !== undefined ? [` · p = ${formatPValue(v.pValue)}`] : []), ...(v.window !== undefined ? [` · ${v.window} window`] : [])];
  const started = v.firingSince ?? v.since;
  const third: Line = [
    `Volume ${formatNumber(v.nCurrent)} now vs ${formatNumber(v.nReference)} reference · critical since `,
    { time: v.since },
    `, firing ${formatDuration(n.at.getTime() - started.getTime())}`,
  ];
  const url = drillDownUrl(v, config);
  return url ? { lines: [first, second, third], url } : { lines: [first, second, third] };
}

function resolvedLine(v: AlertView, n: Notification, config: Config): Line {
  const started = v.firingSince ?? v.since;
  return [
    '✅ ', ...where(v, config), ' — now ', ...measure(v, false),
    ` · fired `, { time: started }, `, lasted ${formatDuration((v.resolvedAt ?? n.at).getTime() - started.getTime())}`,
    ...(v.resolveReason ? [` (${v.resolveReason})`] : []),
  ];
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function summary(n: Notification): Line {
  const fresh = n.alerts.filter((a) => a.isNew).length;
  const earliest = [...n.alerts, ...n.resolved].reduce((t, a) => Math.min(t, (a.firingSince ?? a.since).getTime()), n.at.getTime());
  switch (n.kind) {
    case 'firing':
      return [{ bold: plural(n.alerts.length, 'alert') }, ' critical on ', { value: n.model }, ' · firing since ', { time: new Date(earliest) }];
    case 'update':
      return [`${fresh} new · ${n.resolved.length} resolved · `, { bold: `${n.alerts.length} firing` }];
    case 'repeat':
      return [{ bold: `${plural(n.alerts.length, 'alert')} still firing` }, ` · first since `, { time: new Date(earliest) }, ` (${formatDuration(n.at.getTime() - earliest)})`];
    case 'resolved':
      return [{ bold: `All resolved` }, ` · ${plural(n.resolved.length, 'alert')} cleared at `, { time: n.at }];
  }
}

/** Everything a message about `n` says, with the lists capped so a 40-region outage stays readable. */
export function describeNotification(n: Notification, config: Config): AlertMessage {
  const views = n.alerts.length > 0 ? n.alerts : n.resolved;
  const message: AlertMessage = {
    title: { emoji: KIND_EMOJI[n.kind], what: `${n.kind === 'repeat' ? 'Still firing: ' : n.kind === 'resolved' ? 'Resolved: ' : ''}${headline(n.monitor, views)}`, model: n.model },
    summary: summary(n),
    alerts: n.alerts.slice(0, MAX_LISTED).map((v) => alertEntry(v, n, config)),
    moreAlerts: Math.max(0, n.alerts.length - MAX_LISTED),
    resolved: n.resolved.slice(0, MAX_LISTED).map((v) => resolvedLine(v, n, config)),
    moreResolved: Math.max(0, n.resolved.length - MAX_LISTED),
    runbookUrl: config.alerts.runbookUrl,
  };
  if (n.warnings.length > 0) {
    const shown = n.warnings.slice(0, 3).flatMap((w, i): Span[] => [...(i > 0 ? ['; '] : []), ...where(w, config)]);
    message.warnings = [`🟠 Also at warning (not paging): ${plural(n.warnings.length, 'segment')}: `, ...shown, ...(n.warnings.length > 3 ? [' …'] : [])];
  }
  return message;
}
