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
  /** Header: severity and what happened, e.g. `🔴 Issuer-side outage likely — card-auth`; the model is user data. */
  title: { emoji: string; what: string; model: string };
  summary: Line;
  /** What the incident likely means and, for a roll-up, the test behind it and its segments. */
  context: Line[];
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

const KIND_EMOJI = { firing: '🔴', evidence: '🧾', update: '🔴', repeat: '🔁', resolved: '✅' } as const;

/** Segments whose evidence one thread reply lists (a section each: Slack takes at most 50 blocks). */
export const MAX_EVIDENCE_SEGMENTS = 40;

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
function where(v: Pick<AlertView, 'segment' | 'shadowVersion'>, config: Config): Line {
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

/** The group's segment (or shared value) first, so the header and this line say what and where. */
function summary(n: Notification, config: Config): Line {
  const fresh = n.alerts.filter((a) => a.isNew).length;
  const earliest = [...n.alerts, ...n.resolved].reduce((t, a) => Math.min(t, (a.firingSince ?? a.since).getTime()), n.at.getTime());
  const shared = n.incident?.shared;
  const place: Line = n.incident ? [...where(n.incident, config), ...(shared ? [` · ${plural(shared.members, 'segment')}`] : []), ' · '] : [];
  switch (n.kind) {
    case 'firing':
      return [...place, { bold: plural(n.alerts.length, 'alert') }, ' critical on ', { value: n.model }, ' · firing since ', { time: new Date(earliest) }];
    case 'evidence':
      return [...place, `${plural(n.alerts.length, 'alert')}, each with its numbers`];
    case 'update':
      return [...place, `${fresh} new · ${n.resolved.length} resolved · `, { bold: `${n.alerts.length} firing` }];
    case 'repeat':
      return [...place, { bold: `${plural(n.alerts.length, 'alert')} still firing` }, ` · first since `, { time: new Date(earliest) }, ` (${formatDuration(n.at.getTime() - earliest)})`];
    case 'resolved':
      return [...place, { bold: `All resolved` }, ` · ${plural(n.resolved.length, 'alert')} cleared at `, { time: n.at }];
  }
}

/** What the incident likely is, and for a roll-up the shared-shift test and its segments (the thread lists each). */
function context(n: Notification, config: Config): Line[] {
  const incident = n.incident;
  if (!incident || n.kind === 'evidence') return [];
  const lines: Line[] = incident.explain ? [[`💡 ${incident.explain}`]] : [];
  const test = incident.shared?.test;
  if (test) {
    const measured = monitorNamed(test.monitor)?.present.report({ monitor: test.monitor, model: n.model, segment: {}, feature: test.feature, value: 0, threshold: 0 }).name ?? test.feature;
    lines.push([
      `Shared by at least ${test.atLeast} of the ${test.segments} segments with `, ...where(incident, config),
      ` (${measured}${test.window !== undefined ? `, ${test.window} window` : ''}; partial-conjunction test, q = ${formatPValue(test.qValue)})`,
    ]);
  }
  if (incident.shared && n.kind === 'firing') {
    const names = perSegment(n.alerts).map((views) => (views[0] as AlertView).segment);
    const others = (segment: AlertView['segment']) => ({ segment: Object.fromEntries(Object.entries(segment).filter(([k]) => k !== incident.shared?.column)) });
    const shown = names.slice(0, 8).flatMap((segment, i): Span[] => [...(i > 0 ? ['; '] : []), ...where(others(segment), config)]);
    lines.push(['Segments: ', ...shown, ...(names.length > 8 ? [` … (${names.length})`] : [])]);
  }
  if (n.kind === 'firing') lines.push(['🧵 Evidence for each alert follows in the thread']);
  return lines;
}

/** The headline's list: one line per alert, its measure and window (the numbers behind it are in the thread). */
function headlineEntry(v: AlertView): AlertEntry {
  const mark = v.severity === 'critical' ? '🔴' : '🟠';
  return { lines: [[`${mark} `, ...measure(v), ...(v.window !== undefined ? [` · ${v.window} window`] : [])]] };
}

/** One entry per segment: where, then each of its alerts with its numbers; the segment's Grafana drill-down. */
/** Alerts per segment (and shadow version), in order of first appearance. */
function perSegment(views: readonly AlertView[]): AlertView[][] {
  const groups = new Map<string, AlertView[]>();
  for (const v of views) {
    const key = JSON.stringify([v.segment, v.shadowVersion ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  return [...groups.values()];
}

function evidenceEntries(n: Notification, config: Config): AlertEntry[] {
  return perSegment(n.alerts).slice(0, MAX_EVIDENCE_SEGMENTS).map((views) => {
    const first = views[0] as AlertView;
    const lines: Line[] = [[first.severity === 'critical' ? '🔴 ' : '🟠 ', ...where(first, config)]];
    for (const v of views) lines.push(...alertEntry(v, n, config).lines.slice(1));
    const steady = (n.steady ?? []).slice(0, MAX_LISTED);
    if (steady.length > 0) lines.push(['🟢 Not moved: ', ...steady.flatMap((v, i): Span[] => [...(i > 0 ? [' · '] : []), ...measure(v, false), ...(v.window !== undefined ? [` (${v.window})`] : [])])]);
    const url = drillDownUrl(first, config);
    return url ? { lines, url } : { lines };
  });
}

/** The group's title: the incident's likely kind, or (a message queued by an older version) its monitor's headline. */
function groupTitle(n: Notification, views: AlertView[]): string {
  return n.incident?.title ?? headline(n.monitor, views);
}

/** Everything a message about `n` says, with the lists capped so a 40-region outage stays readable. */
export function describeNotification(n: Notification, config: Config): AlertMessage {
  const views = n.alerts.length > 0 ? n.alerts : n.resolved;
  const prefix = n.kind === 'repeat' ? 'Still firing: ' : n.kind === 'resolved' ? 'Resolved: ' : n.kind === 'evidence' ? 'Evidence: ' : '';
  const entries =
    n.kind === 'evidence' ? evidenceEntries(n, config)
    : n.kind === 'firing' && n.incident ? (n.incident.shared ? [] : n.alerts.slice(0, MAX_LISTED).map(headlineEntry))
    : n.alerts.slice(0, MAX_LISTED).map((v) => alertEntry(v, n, config));
  const listed = n.kind === 'evidence' ? perSegment(n.alerts).length : n.alerts.length;
  const message: AlertMessage = {
    title: { emoji: KIND_EMOJI[n.kind], what: `${prefix}${groupTitle(n, views)}`, model: n.model },
    summary: summary(n, config),
    context: context(n, config),
    alerts: entries,
    moreAlerts: n.kind === 'firing' && n.incident?.shared ? 0 : Math.max(0, listed - entries.length),
    resolved: n.resolved.slice(0, MAX_LISTED).map((v) => resolvedLine(v, n, config)),
    moreResolved: Math.max(0, n.resolved.length - MAX_LISTED),
    runbookUrl: n.kind === 'evidence' ? '' : config.alerts.runbookUrl,
  };
  if (n.warnings.length > 0 && n.kind !== 'evidence') {
    const shown = n.warnings.slice(0, 3).flatMap((w, i): Span[] => [...(i > 0 ? ['; '] : []), ...where(w, config), ': ', ...measure(w, false)]);
    message.warnings = [`🟠 Also at warning (not paging): `, ...shown, ...(n.warnings.length > 3 ? [` … (${n.warnings.length})`] : [])];
  }
  return message;
}
