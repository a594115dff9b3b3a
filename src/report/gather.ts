// Gathers a weekly report's data: one traffic join, a few history queries and the week's alerts; says what is missing.
import { alertHistory, ensureAlertTables } from '../alerts/table.js';
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { RollupState } from '../rollup/index.js';
import type { Store } from '../store/index.js';
import { backfillWeek } from './backfill.js';
import { day, range, time } from './format.js';
import { readCoverage, readExperiments, readPsiPeaks, readPsiSeries, readQualityJudgements, readShadow } from './history.js';
import { compareWeeks, topMovers } from './movers.js';
import { incidentsOf } from './incidents.js';
import { reportPeriod, type ReportPeriod } from './period.js';
import { qualityNotes } from './quality-notes.js';
import { readTraffic, type Traffic } from './traffic.js';
import { unpairedAucTest } from '../stats/index.js';
import type { Coverage, Headline, PerformanceChange, PsiPeak, ReportData, Week, WeekPair, WeekPerformance } from './types.js';

export interface GatherOptions {
  /** The report covers the 7 days before this time, floored to UTC midnight (default: now). */
  at?: Date;
  /** Run a cycle at the end of each day of a week without any history (default true): see backfill.ts. */
  backfill?: boolean;
  /** PSI series drawn (the worst ones). */
  psiSeries?: number;
  logger?: Logger;
  /** The rollup state of the process (the daemon's): the report's refresh folds through it. */
  rollup?: RollupState;
}

export async function gatherReport(store: Store, config: Config, options: GatherOptions = {}): Promise<ReportData> {
  const logger = options.logger ?? silentLogger;
  const period = reportPeriod(options.at ?? new Date(), config.sinks.email.period);
  const missing: string[] = [];
  let coverage = await readCoverage(store, config, period);
  if (options.backfill ?? true) {
    const filled = await fill(store, config, period, coverage, logger);
    if (filled.length > 0) {
      missing.push(...filled);
      coverage = await readCoverage(store, config, period);
    }
  }
  const traffic = await readTraffic(store, config, period, logger, { state: options.rollup });
  const peaks = await readPsiPeaks(store, config, period);
  const psi = await readPsiSeries(store, config, period, options.psiSeries ?? 5);
  const shadow = await readShadow(store, config, period);
  const experiments = await readExperiments(store, config, period);
  const judgements = await readQualityJudgements(store, config, period);
  await ensureAlertTables(store, config);
  // Alerts that fired in the period (to the report's own time, for the rolling week), still firing ones included.
  const alerts = await alertHistory(store, config, { from: period.week.from, to: period.alertsUntil });

  const models = [...new Set([...config.models, ...traffic.quality.map((q) => q.model), ...peaks.keys()])].sort();
  const issuers = compareWeeks(traffic.issuers, { minVolume: config.minVolume, fdr: config.fdr });
  missing.push(...whatIsMissing(period, coverage, traffic, shadow.length));
  return {
    period,
    trafficSource: traffic.source,
    models,
    headline: models.map((model) => headline(model, traffic, peaks.get(model))),
    hourly: traffic.hourly,
    regions: compareWeeks(traffic.regions, { minVolume: config.minVolume, fdr: config.fdr }).sort((a, b) => a.model.localeCompare(b.model) || (a.segment.region ?? '').localeCompare(b.segment.region ?? '')),
    issuers: topMovers(issuers),
    issuersTested: issuers.filter((c) => Number.isFinite(c.pValue)).length,
    reliability: traffic.reliability,
    performance: comparePerformance(models, traffic.performance),
    psi,
    alerts,
    incidents: incidentsOf(alerts),
    shadow,
    experiments,
    quality: qualityNotes(config, models, traffic.quality, judgements),
    coverage,
    missing,
    settings: {
      psiWarning: config.monitors.psi.thresholds.warning,
      psiCritical: config.monitors.psi.thresholds.critical,
      fdr: config.fdr,
      minVolume: config.minVolume,
      maturityMs: config.windows.maturity,
    },
  };
}

async function fill(store: Store, config: Config, period: ReportPeriod, coverage: WeekPair<Coverage>, logger: Logger): Promise<string[]> {
  const notes: string[] = [];
  for (const [week, window, name] of [['current', period.week, 'this week'], ['previous', period.previous, 'the week before']] as const) {
    if (coverage[week].cycles > 0) continue;
    const ats = await backfillWeek(store, config, window, logger);
    notes.push(`The history table had nothing for ${name}, so the report ran ${ats.length} cycles (one at the end of each day) to fill it: its PSI, shadow and quality numbers are daily, not per cycle.`);
  }
  return notes;
}

function headline(model: string, traffic: Traffic, peaks: WeekPair<PsiPeak | undefined> | undefined): Headline {
  const pair = <T>(pick: (week: Week) => T): WeekPair<T> => ({ current: pick('current'), previous: pick('previous') });
  const regions = (week: Week) => traffic.regions.filter((r) => r.model === model && r.week === week);
  const rate = (week: Week) => {
    const labeled = regions(week).reduce((s, r) => s + r.labeled, 0);
    return labeled > 0 ? regions(week).reduce((s, r) => s + r.approved, 0) / labeled : NaN;
  };
  return {
    model,
    volume: pair((week) => traffic.quality.find((q) => q.model === model && q.week === week)?.events ?? 0),
    approvalRate: pair(rate),
    ece: pair((week) => traffic.reliability.find((r) => r.model === model && r.week === week)?.ece ?? NaN),
    worstPsi: peaks ?? { current: undefined, previous: undefined },
  };
}

function whatIsMissing(period: ReportPeriod, coverage: WeekPair<Coverage>, traffic: Traffic, shadows: number): string[] {
  const out: string[] = [];
  const events = (week: Week) => traffic.quality.filter((q) => q.week === week).reduce((s, q) => s + q.events, 0);
  if (events('current') === 0) out.push(`No live scoring events from ${range(period.week.from, period.week.to)}: volume, approval and calibration are empty.`);
  if (events('previous') === 0) out.push('No live scoring events the week before: there is nothing to compare this week with.');
  const { current, previous } = coverage;
  if (current.cycles === 0) out.push('No history for this week (is the daemon running?): PSI, shadow verdicts and the quality monitor’s judgements are missing.');
  else if (current.firstAt && current.firstAt.getTime() - period.week.from.getTime() > 86_400_000) {
    out.push(`History for this week starts ${time(current.firstAt)} UTC: PSI, shadow and quality numbers cover only the rest of the week.`);
  }
  if (previous.cycles === 0) out.push(`No history for the week before (${day(period.previous.from)} onwards): the worst PSI has nothing to compare with.`);
  if (current.cycles > 0 && current.psiRows === 0) out.push('The history has no PSI values this week (is the psi monitor enabled?).');
  if (current.cycles > 0 && shadows === 0) out.push('No shadow verdicts this week: no shadow model scored traffic, or the shadow monitor is not running.');
  return out;
}

/**
 * Each model's AUC and mean log loss this week against the week before, from the labeled events per score-grid cell
 * (the performance monitor's numbers for the whole model over a week), with the unpaired DeLong test of the AUCs.
 */
function comparePerformance(models: readonly string[], weeks: readonly WeekPerformance[]): PerformanceChange[] {
  return models.flatMap((model) => {
    const of = (week: Week) => weeks.find((w) => w.model === model && w.week === week);
    const [current, previous] = [of('current'), of('previous')];
    if (!current) return [];
    const empty = { positives: current.positives.map(() => 0), negatives: current.negatives.map(() => 0) };
    const test = unpairedAucTest(previous ?? empty, current);
    const loss = (w: WeekPerformance | undefined) => (w && w.labeled > 0 ? w.logLoss / w.labeled : NaN);
    return [
      {
        model,
        auc: { current: test.aucB, previous: test.aucA },
        logLoss: { current: loss(current), previous: loss(previous) },
        labeled: { current: current.labeled, previous: previous?.labeled ?? 0 },
        pValue: test.pValue,
      },
    ];
  });
}
