// The report's traffic aggregates (queries/report_traffic.sql), folded into hours, segments, calibration bins, performance and quality counts.
import { SCORE_GRID_CELLS } from '../aggregates/grid.js';
import { selectQuery } from '../aggregates/sql.js';
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import { refreshRollup, type RollupState } from '../rollup/index.js';
import { eventsFingerprint, labelsFingerprint } from '../rollup/fingerprint.js';
import { loadLedger, usableAt, type Ledger } from '../rollup/ledger.js';
import { OUTCOME_SKEW_MS } from '../rollup/plan.js';
import { calibrationFromBins, type CalibrationBinSums } from '../stats/index.js';
import { chTime, type Store } from '../store/index.js';
import type { ReportPeriod } from './period.js';
import type { HourPoint, Reliability, Week, WeekPerformance } from './types.js';

interface TrafficRow {
  kind: 'hour' | 'issuer' | 'bin' | 'cell';
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
  /** Where the numbers came from: the hourly rollup, or one join of the raw tables when the rollup cannot serve. */
  source: 'rollup' | 'raw';
  hourly: HourPoint[];
  regions: SegmentCounts[];
  issuers: SegmentCounts[];
  reliability: Reliability[];
  performance: WeekPerformance[];
  quality: WeekQuality[];
}

const HOUR_MS = 3_600_000;

/** The two weeks' traffic: from the rollup when it can serve them, else from one join of the raw tables. */
export async function readTraffic(
  store: Store,
  config: Config,
  period: ReportPeriod,
  logger: Logger = silentLogger,
  options: { raw?: boolean; state?: RollupState | undefined } = {},
): Promise<Traffic> {
  const common = { prev_from: chTime(period.previous.from), from: chTime(period.week.from), to: chTime(period.week.to), models: config.models };
  const rolled = options.raw ? undefined : await rollupParams(store, config, period, logger, options.state);
  const rows = rolled
    ? await selectQuery<TrafficRow>(store, config, 'report_rollup', { ...common, ...rolled })
    : await selectQuery<TrafficRow>(store, config, 'report_traffic', {
        ...common,
        matured_to: chTime(period.week.to.getTime() - config.windows.maturity),
        skew_ms: OUTCOME_SKEW_MS,
        cal_bins: config.monitors.calibration.bins,
        ...segmentIndexes(config),
      });
  const of = (kind: TrafficRow['kind']) => rows.filter((r) => r.kind === kind);
  const hours = of('hour');
  return {
    source: rolled ? 'rollup' : 'raw',
    hourly: foldHours(hours),
    regions: foldSegments(hours, (r) => ({ region: r.region })),
    issuers: of('issuer').map((r) => counts(r, { issuer: r.issuer, region: r.region })),
    reliability: foldBins(of('bin'), config.monitors.calibration.bins),
    performance: foldCells(of('cell')),
    quality: foldQuality(hours),
  };
}

/**
 * Folds the two weeks into the rollup (the daemon folds only its windows: the week before starts earlier) and
 * returns the ledger's versions of their hours; undefined when the rollup cannot answer — issuer or region
 * not among the segments it is keyed by, or an hour it should hold missing — and the raw join must.
 */
async function rollupParams(store: Store, config: Config, period: ReportPeriod, logger: Logger, state: RollupState | undefined) {
  const indexes = segmentIndexes(config);
  if (indexes.issuer_index === 0 || indexes.region_index === 0) return undefined;
  // Never past now: an hour folded before it is complete would be folded again, with the rows still to come.
  const at = new Date(Math.min(period.week.to.getTime(), Date.now()));
  await refreshRollup(store, config, at, { since: period.previous.from, logger, ...(state ? { state } : {}) });
  const from = period.previous.from.getTime();
  const events = await loadLedger(store, config, 'events', eventsFingerprint(config));
  const labels = await loadLedger(store, config, 'labels', labelsFingerprint(config));
  // The rollup folds an hour's labels once it has matured: hour end + maturity <= end of the week.
  const eventHours = hoursOf(events, from, period.week.to.getTime());
  // The week's labels are as of its end: hours that counted a later outcome are not usable.
  const labelHours = hoursOf(usableAt(labels, period.week.to), from, period.week.to.getTime() - config.windows.maturity - HOUR_MS + 1);
  if (!eventHours || !labelHours) {
    logger.info('report: the rollup does not hold every hour of the two weeks; reading the raw tables instead');
    return undefined;
  }
  return { ...eventHours.params('event'), ...labelHours.params('label'), ...indexes };
}

/** The 1-based positions of the issuer and region segment columns (0: not a segment column, read as ''). */
function segmentIndexes(config: Config): { issuer_index: number; region_index: number } {
  return { issuer_index: config.segments.indexOf('issuer') + 1, region_index: config.segments.indexOf('region') + 1 };
}

/** Every hour start in [from, to) with its folded version, or undefined if the ledger lacks one. */
function hoursOf(ledger: Ledger, from: number, to: number) {
  const hours: number[] = [];
  const versions: number[] = [];
  for (let h = from; h < to; h += HOUR_MS) {
    const fold = ledger.get(h);
    if (!fold) return undefined;
    hours.push(h / 1000);
    versions.push(fold.version);
  }
  return { params: (prefix: string) => ({ [`${prefix}_hours`]: hours, [`${prefix}_versions`]: versions }) };
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

/** Per model and week: the labeled events with a score per grid cell by outcome, and their log loss (cells past the grid carry only loss). */
function foldCells(rows: TrafficRow[]): WeekPerformance[] {
  const out = new Map<string, WeekPerformance>();
  for (const r of rows) {
    const k = key(r.model, r.week);
    const entry = out.get(k) ?? { model: r.model, week: r.week, labeled: 0, positives: new Array<number>(SCORE_GRID_CELLS).fill(0), negatives: new Array<number>(SCORE_GRID_CELLS).fill(0), logLoss: 0, logLossSquares: 0 };
    const cell = Number(r.bin);
    if (cell < SCORE_GRID_CELLS) {
      entry.positives[cell] = (entry.positives[cell] as number) + Number(r.approved);
      entry.negatives[cell] = (entry.negatives[cell] as number) + Number(r.labeled) - Number(r.approved);
      entry.labeled += Number(r.labeled);
    }
    entry.logLoss += Number(r.sum_score);
    entry.logLossSquares += Number(r.sum_label);
    out.set(k, entry);
  }
  return [...out.values()].filter((p) => p.labeled > 0).sort((a, b) => a.model.localeCompare(b.model) || a.week.localeCompare(b.week));
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
