// Words shared by the HTML and text reports: subject, headline cells, alert and shadow lines, the method note.
import type { AlertRecord } from '../alerts/types.js';
import { DASH as DASH_TEXT, pp } from '../core/format.js';
import type { IncidentRecord } from './incidents.js';
import { formatDuration } from '../config/index.js';
import { monitorNamed } from '../monitors/registry.js';
import { count, decimal, duration, edge, percent, probability, segmentText, shortRange, time, trend, TRENDS, type Trend } from './format.js';
import type { ExperimentSummary, Headline, PerformanceChange, RateChange, ReportData, ShadowSummary } from './types.js';

export interface HeadlineCell {
  label: string;
  value: string;
  trend: Trend;
  /** What the week before was, e.g. `week before 84.5 %`. */
  before: string;
  /** Where the value comes from when it needs saying (worst PSI: its segment). */
  detail?: string;
}

export function headlineCells(h: Headline): HeadlineCell[] {
  const psi = h.worstPsi;
  return [
    { label: 'Volume', value: count(h.volume.current), trend: trend(h.volume.current, h.volume.previous, TRENDS.volume), before: `week before ${count(h.volume.previous)}` },
    {
      label: 'Approval rate',
      value: percent(h.approvalRate.current),
      trend: trend(h.approvalRate.current, h.approvalRate.previous, TRENDS.approvalRate),
      before: `week before ${percent(h.approvalRate.previous)}`,
    },
    { label: 'ECE', value: decimal(h.ece.current), trend: trend(h.ece.current, h.ece.previous, TRENDS.ece), before: `week before ${decimal(h.ece.previous)}` },
    {
      label: 'Worst PSI',
      value: decimal(psi.current?.value ?? NaN),
      trend: trend(psi.current?.value ?? NaN, psi.previous?.value ?? NaN, TRENDS.psi),
      before: `week before ${decimal(psi.previous?.value ?? NaN)}`,
      ...(psi.current ? { detail: `${segmentText(psi.current.segment)} · ${psi.current.feature}` } : {}),
    },
  ];
}

/** The model with the most traffic: the subject line speaks for it. */
function mainModel(data: ReportData): Headline | undefined {
  return [...data.headline].sort((a, b) => b.volume.current - a.volume.current)[0];
}

export function subject(data: ReportData): string {
  const span = shortRange(data.period.week.from, data.period.week.to);
  const parts = [`${data.incidents.length} incident${data.incidents.length === 1 ? '' : 's'}`];
  const main = mainModel(data);
  if (main && Number.isFinite(main.approvalRate.current)) {
    const t = trend(main.approvalRate.current, main.approvalRate.previous, TRENDS.approvalRate);
    parts.push(`${main.model} approval ${percent(main.approvalRate.current)}${t.change ? ` (${t.change})` : ''}`);
  }
  return `driftwatch weekly report, ${span}: ${parts.join(', ')}`;
}

export interface AlertLine {
  /** `firing` or `resolved`: a resolved alert's latest severity is `ok`, which says nothing about what it was. */
  status: 'firing' | 'resolved';
  what: string;
  where: string;
  fired: string;
  resolved: string;
  duration: string;
}

/** What an alert measured, in the unit a reader thinks in (its monitor's words: rate changes in points, …). */
function alertMeasure(a: AlertRecord): { name: string; value: string; threshold: string } {
  return monitorNamed(a.monitor)?.present.report(a) ?? { name: `${a.monitor} ${a.feature}`, value: decimal(a.value), threshold: String(a.threshold) };
}

/** An incident's row: its kind and where, each alert's measure, when it started and ended. */
export interface IncidentLine {
  status: 'firing' | 'resolved';
  title: string;
  where: string;
  /** One line per alert: its measure, and when it fired if later than the incident. */
  alerts: string[];
  fired: string;
  resolved: string;
  duration: string;
}

/** Alerts listed under one incident: a region's roll-up may hold dozens. */
const MAX_INCIDENT_ALERTS = 8;

export function incidentLine(i: IncidentRecord): IncidentLine {
  // A roll-up's alerts name their segment; an incident's share one, said once in `where`.
  const mixed = new Set(i.alerts.map((a) => segmentText(a.segment))).size > 1;
  return {
    status: i.to ? 'resolved' : 'firing',
    title: i.title,
    where: i.where,
    alerts: [
      ...i.alerts.slice(0, MAX_INCIDENT_ALERTS).map((a) => {
        const line = alertLine(a);
        const where = mixed ? `${segmentText(a.segment)}: ` : '';
        return `${where}${line.what}${a.from.getTime() > i.from.getTime() ? `, from ${line.fired}` : ''}${a.to ? '' : ' (firing)'}`;
      }),
      ...(i.alerts.length > MAX_INCIDENT_ALERTS ? [`… and ${i.alerts.length - MAX_INCIDENT_ALERTS} more alerts (the Slack thread and Grafana have them all)`] : []),
    ],
    fired: time(i.from),
    resolved: i.to ? time(i.to) : 'still firing',
    duration: `${duration(i.durationMs)}${i.to ? '' : ' so far'}`,
  };
}

export function alertLine(a: AlertRecord): AlertLine {
  const m = alertMeasure(a);
  return {
    status: a.to ? 'resolved' : 'firing',
    what: `${m.name} ${m.value} (threshold ${m.threshold})`,
    where: `${a.model || 'all models'} · ${segmentText(a.segment)}`,
    fired: time(a.from),
    resolved: a.to ? time(a.to) : 'still firing',
    duration: `${duration(a.durationMs)}${a.to ? '' : ' so far'}`,
  };
}

export function shadowFigures(s: ShadowSummary): string {
  const parts: string[] = [];
  if (s.agreement !== undefined) parts.push(`agreement ${percent(s.agreement)}`);
  if (s.aucLive !== undefined && s.aucShadow !== undefined) parts.push(`AUC live ${decimal(s.aucLive)} → shadow ${decimal(s.aucShadow)}${s.aucPValue !== undefined ? ` (p ${probability(s.aucPValue)})` : ''}`);
  const total = s.cycles.promote + s.cycles.hold + s.cycles.reject;
  const said = (['promote', 'hold', 'reject'] as const).filter((v) => s.cycles[v] > 0).map((v) => `${v} in ${s.cycles[v]}`);
  parts.push(`verdicts this week: ${said.join(', ')} of ${total} cycles`);
  return parts.join('; ');
}

/** An experiment's latest lift with its interval, and how its verdicts went over the week's cycles. */
export function experimentFigures(x: ExperimentSummary): string {
  const parts: string[] = [];
  if (x.lift !== undefined) parts.push(`approval lift ${pp(x.lift)}${x.lo !== undefined && x.hi !== undefined ? ` [${pp(x.lo)}, ${pp(x.hi)}]` : ''}`);
  const total = x.cycles.ship + x.cycles.continue + x.cycles.rollback;
  const said = (['ship', 'continue', 'rollback'] as const).filter((v) => x.cycles[v] > 0).map((v) => `${v} in ${x.cycles[v]}`);
  parts.push(`verdicts this week: ${said.join(', ')} of ${total} cycles`);
  return parts.join('; ');
}

/** `84.5 % → 83.1 %` */
export function rateMove(c: RateChange): string {
  return `${percent(c.previous.rate)} → ${percent(c.current.rate)}`;
}

export function significance(c: RateChange): string {
  if (!Number.isFinite(c.pValue)) return 'not tested (low volume)';
  return `q ${probability(c.qValue)}${c.significant ? ' · significant' : ''}`;
}

/** The cells of one model's performance row: AUC and log loss both weeks, the AUC change and its test, the volume. */
export function performanceCells(c: PerformanceChange): string[] {
  const change = c.auc.current - c.auc.previous;
  const signedChange = Number.isFinite(change) ? `${change > 0 ? '+' : change < 0 ? '−' : '±'}${Math.abs(change).toFixed(3)}` : DASH_TEXT;
  return [
    c.model,
    `${decimal(c.auc.previous)} → ${decimal(c.auc.current)}`,
    signedChange,
    Number.isFinite(c.pValue) ? `p ${probability(c.pValue)}` : 'not tested',
    `${decimal(c.logLoss.previous)} → ${decimal(c.logLoss.current)}`,
    count(c.labeled.current),
  ];
}

export const PERFORMANCE_HEADERS = ['model', 'AUC week before → this week', 'change', 'DeLong', 'log loss', 'labeled'];

export function method(data: ReportData): string {
  const s = data.settings;
  return [
    `Weeks are UTC, ${edge(data.period.week.from)} to ${edge(data.period.week.to)} (exclusive) against the 7 days before.`,
    `Approval rates and calibration count live events whose outcome arrived within ${formatDuration(s.maturityMs)} (the maturity delay); younger events count for volume only.`,
    data.trafficSource === 'rollup' ? 'Volume, approval and calibration come from the hourly rollup.' : 'Volume, approval and calibration come from one aggregate query over events and outcomes.',
    `Changes are two-proportion z-tests, Benjamini–Hochberg at FDR ${s.fdr} across each table's segments, each with at least ${s.minVolume} labeled events in both weeks.`,
    `PSI, shadow verdicts and quality judgements come from the history table (${data.coverage.current.cycles} cycles this week, ${data.coverage.previous.cycles} the week before).`,
  ].join(' ');
}
