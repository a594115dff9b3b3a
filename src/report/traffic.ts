// The report's traffic aggregates (queries/report_traffic.sql), folded into hours, segments, calibration bins and quality counts.
import type { Config } from '../config/index.js';
import { calibrationFromBins, type CalibrationBinSums } from '../stats/index.js';
import { chTime, runQuery, type Store } from '../store/index.js';
import type { ReportPeriod } from './period.js';
import type { HourPoint, Reliability, Week } from './types.js';

interface TrafficRow {
  kind: 'hour' | 'issuer' | 'bin';
  model: string;
  week: Week;
  region: string;
  issuer: string;
  hour: string;
  bin: number;
  events: number;
  labeled: number;
  approved: number;
  bad_scores: number;
  missing_outcomes: number;
  sum_score: number;
  sum_label: number;
  sum_sq_error: number;
}

/** Counts of one segment in one week. */
export interface SegmentCounts {
  model: string;
  week: Week;
  segment: Record<string, string>;
  events: number;
  labeled: number;
  approved: number;
}

export interface WeekQuality {
  model: string;
  week: Week;
  events: number;
  badScores: number;
  /** Matured events (old enough for their label to be final) and those of them without an outcome. */
  matured: number;
  missingOutcomes: number;
}

export interface Traffic {
  hourly: HourPoint[];
  regions: SegmentCounts[];
  issuers: SegmentCounts[];
  reliability: Reliability[];
  quality: WeekQuality[];
}

/** Runs the one join of the report (both weeks) and folds its grouping sets apart. */
export async function readTraffic(store: Store, config: Config, period: ReportPeriod): Promise<Traffic> {
  const bins = config.monitors.calibration.bins;
  const rows = await runQuery<TrafficRow>(store, config, 'report_traffic', {
    prev_from: chTime(period.previous.from),
    from: chTime(period.week.from),
    to: chTime(period.week.to),
    matured_to: chTime(period.week.to.getTime() - config.windows.maturity),
    maturity_ms: config.windows.maturity,
    cal_bins: bins,
    models: config.models,
  });
  const of = (kind: TrafficRow['kind']) => rows.filter((r) => r.kind === kind);
  const hours = of('hour');
  return {
    hourly: foldHours(hours),
    regions: foldSegments(hours, (r) => ({ region: r.region })),
    issuers: of('issuer').map((r) => counts(r, { issuer: r.issuer, region: r.region })),
    reliability: foldBins(of('bin'), bins),
    quality: foldQuality(hours),
  };
}

const parseHour = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
const key = (...parts: string[]) => parts.join('\u0000');

function counts(r: TrafficRow, segment: Record<string, string>): SegmentCounts {
  return { model: r.model, week: r.week, segment, events: Number(r.events), labeled: Number(r.labeled), approved: Number(r.approved) };
}

/** Rows come per region and hour; the charts want the model's hour. */
function foldHours(rows: TrafficRow[]): HourPoint[] {
  const byHour = new Map<string, HourPoint>();
  for (const r of rows) {
    const k = key(r.model, r.hour);
    const point = byHour.get(k) ?? { model: r.model, week: r.week, hour: parseHour(r.hour), events: 0, labeled: 0, approved: 0 };
    point.events += Number(r.events);
    point.labeled += Number(r.labeled);
    point.approved += Number(r.approved);
    byHour.set(k, point);
  }
  return [...byHour.values()].sort((a, b) => a.model.localeCompare(b.model) || a.hour.getTime() - b.hour.getTime());
}

function foldSegments(rows: TrafficRow[], segmentOf: (r: TrafficRow) => Record<string, string>): SegmentCounts[] {
  const out = new Map<string, SegmentCounts>();
  for (const r of rows) {
    const segment = segmentOf(r);
    const k = key(r.model, r.week, ...Object.values(segment));
    const c = out.get(k) ?? { model: r.model, week: r.week, segment, events: 0, labeled: 0, approved: 0 };
    c.events += Number(r.events);
    c.labeled += Number(r.labeled);
    c.approved += Number(r.approved);
    out.set(k, c);
  }
  return [...out.values()];
}

function foldBins(rows: TrafficRow[], bins: number): Reliability[] {
  const sums = new Map<string, { model: string; week: Week; bins: CalibrationBinSums[] }>();
  for (const r of rows) {
    if (r.bin >= bins) continue;
    const k = key(r.model, r.week);
    const entry = sums.get(k) ?? { model: r.model, week: r.week, bins: Array.from({ length: bins }, () => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 })) };
    entry.bins[r.bin] = { count: Number(r.labeled), sumScore: Number(r.sum_score), sumLabel: Number(r.sum_label), sumSquaredError: Number(r.sum_sq_error) };
    sums.set(k, entry);
  }
  const out: Reliability[] = [];
  for (const { model, week, bins: sum } of sums.values()) {
    const n = sum.reduce((s, b) => s + b.count, 0);
    if (n === 0) continue;
    const result = calibrationFromBins(sum);
    out.push({ model, week, ece: result.ece, n, bins: result.bins });
  }
  return out.sort((a, b) => a.model.localeCompare(b.model) || a.week.localeCompare(b.week));
}

function foldQuality(rows: TrafficRow[]): WeekQuality[] {
  const out = new Map<string, WeekQuality>();
  for (const r of rows) {
    const k = key(r.model, r.week);
    const q = out.get(k) ?? { model: r.model, week: r.week, events: 0, badScores: 0, matured: 0, missingOutcomes: 0 };
    q.events += Number(r.events);
    q.badScores += Number(r.bad_scores);
    q.missingOutcomes += Number(r.missing_outcomes);
    // labeled + missing = matured events: the SQL counts a matured event as one or the other.
    q.matured += Number(r.labeled) + Number(r.missing_outcomes);
    out.set(k, q);
  }
  return [...out.values()];
}
