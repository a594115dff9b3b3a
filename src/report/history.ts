// What the report reads from the history table: coverage, PSI peaks and series, shadow verdicts, quality judgements.
import type { Config } from '../config/index.js';
import { chTime, runQuery, type Store } from '../store/index.js';
import type { ReportPeriod } from './period.js';
import type { Coverage, ExperimentSummary, PsiPeak, PsiSeries, ShadowSummary, Week, WeekPair } from './types.js';

/** ClickHouse's DateTime64 text is UTC without a zone marker. */
export const parseTime = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);

function params(period: ReportPeriod) {
  return { prev_from: chTime(period.previous.from), from: chTime(period.week.from), to: chTime(period.week.to) };
}

interface CoverageRow {
  week: Week;
  cycles: number;
  first_at: string;
  last_at: string;
  psi_rows: number;
  shadow_rows: number;
  quality_rows: number;
}

const EMPTY: Coverage = { cycles: 0, psiRows: 0, shadowRows: 0, qualityRows: 0 };

export async function readCoverage(store: Store, config: Config, period: ReportPeriod): Promise<WeekPair<Coverage>> {
  const rows = await runQuery<CoverageRow>(store, config, 'report_coverage', params(period));
  const of = (week: Week): Coverage => {
    const r = rows.find((row) => row.week === week);
    return r ? { cycles: Number(r.cycles), firstAt: parseTime(r.first_at), lastAt: parseTime(r.last_at), psiRows: Number(r.psi_rows), shadowRows: Number(r.shadow_rows), qualityRows: Number(r.quality_rows) } : { ...EMPTY };
  };
  return { current: of('current'), previous: of('previous') };
}

interface PeakRow {
  model: string;
  week: Week;
  peak: number;
  feature: string;
  segment: Record<string, string>;
  peak_at: string;
}

/** Per model: the week's worst PSI and the week before's. */
export async function readPsiPeaks(store: Store, config: Config, period: ReportPeriod): Promise<Map<string, WeekPair<PsiPeak | undefined>>> {
  const rows = await runQuery<PeakRow>(store, config, 'report_psi_peak', params(period));
  const out = new Map<string, WeekPair<PsiPeak | undefined>>();
  for (const r of rows) {
    const pair = out.get(r.model) ?? { current: undefined, previous: undefined };
    pair[r.week] = { value: Number(r.peak), feature: r.feature, segment: r.segment, at: parseTime(r.peak_at) };
    out.set(r.model, pair);
  }
  return out;
}

interface SeriesRow {
  model: string;
  feature: string;
  segment: Record<string, string>;
  hour: string;
  value: number;
  peak: number;
}

/** The `limit` worst model × feature × segment PSI series of the week, worst first. */
export async function readPsiSeries(store: Store, config: Config, period: ReportPeriod, limit = 5): Promise<PsiSeries[]> {
  const rows = await runQuery<SeriesRow>(store, config, 'report_psi_series', { ...params(period), limit });
  const out = new Map<string, PsiSeries>();
  for (const r of rows) {
    const k = [r.model, r.feature, JSON.stringify(Object.entries(r.segment).sort())].join('\u0000');
    const series = out.get(k) ?? { model: r.model, feature: r.feature, segment: r.segment, peak: Number(r.peak), points: [] };
    series.points.push({ hour: parseTime(r.hour), value: Number(r.value) });
    out.set(k, series);
  }
  return [...out.values()];
}

interface ShadowRow {
  model: string;
  shadow_version: string;
  verdict: string;
  reasons: string;
  verdict_at: string;
  promote_cycles: number;
  hold_cycles: number;
  reject_cycles: number;
  has_agreement: number | boolean;
  agreement: number;
  has_auc: number | boolean;
  auc_live: number;
  auc_shadow: number;
  auc_p_value: number | string;
}

/**
 * History joins a verdict's reasons with '; ', and a reason may hold '; ' inside parentheses
 * ("approvals +2.4 pp (91.6 % vs 89.1 %; agreement 89.8 %)"), so only separators outside them split.
 */
export function splitReasons(note: string): string[] {
  const reasons: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < note.length; i++) {
    const c = note[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (depth === 0 && c === ';' && note[i + 1] === ' ') {
      reasons.push(note.slice(start, i));
      start = i + 2;
    }
  }
  reasons.push(note.slice(start));
  return reasons.map((r) => r.trim()).filter(Boolean);
}

const finite = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export async function readShadow(store: Store, config: Config, period: ReportPeriod): Promise<ShadowSummary[]> {
  const rows = await runQuery<ShadowRow>(store, config, 'report_shadow', params(period));
  return rows.map((r) => ({
    model: r.model,
    shadowVersion: r.shadow_version,
    verdict: r.verdict,
    reasons: splitReasons(r.reasons),
    at: parseTime(r.verdict_at),
    cycles: { promote: Number(r.promote_cycles), hold: Number(r.hold_cycles), reject: Number(r.reject_cycles) },
    ...(r.has_agreement ? { agreement: finite(r.agreement) } : {}),
    ...(r.has_auc ? { aucLive: finite(r.auc_live), aucShadow: finite(r.auc_shadow), aucPValue: finite(r.auc_p_value) } : {}),
  }));
}

interface ExperimentRow {
  model: string;
  treatment: string;
  control: string;
  verdict_value: number;
  note: string;
  verdict_at: string;
  ship_cycles: number;
  continue_cycles: number;
  rollback_cycles: number;
  lift: number | string;
  lo: number | string;
  hi: number | string;
}

const EXPERIMENT_VERDICTS: Record<number, string> = { 1: 'ship', 0: 'continue', [-1]: 'rollback' };

/** Experiments of the week from history rows (queries/report_experiments.sql). */
export async function readExperiments(store: Store, config: Config, period: ReportPeriod): Promise<ExperimentSummary[]> {
  const rows = await runQuery<ExperimentRow>(store, config, 'report_experiments', params(period));
  return rows.map((r) => {
    // The note is `verdict: reason; reason`.
    const note = r.note.replace(/^[a-z]+: /, '');
    const lift = finite(r.lift);
    const lo = finite(r.lo);
    const hi = finite(r.hi);
    return {
      model: r.model,
      control: r.control,
      treatment: r.treatment,
      verdict: EXPERIMENT_VERDICTS[Number(r.verdict_value)] ?? 'continue',
      reasons: splitReasons(note),
      at: parseTime(r.verdict_at),
      cycles: { ship: Number(r.ship_cycles), continue: Number(r.continue_cycles), rollback: Number(r.rollback_cycles) },
      ...(lift !== undefined ? { lift } : {}),
      ...(lo !== undefined && hi !== undefined ? { lo, hi } : {}),
    };
  });
}

export interface QualityJudgement {
  model: string;
  metric: string;
  week: Week;
  cycles: number;
  warningCycles: number;
  criticalCycles: number;
  peak: number;
  firstBad?: Date;
  lastBad?: Date;
}

interface QualityRow {
  model: string;
  metric: string;
  week: Week;
  cycles: number;
  warning_cycles: number;
  critical_cycles: number;
  peak: number;
  first_bad: string;
  last_bad: string;
}

export async function readQualityJudgements(store: Store, config: Config, period: ReportPeriod): Promise<QualityJudgement[]> {
  const rows = await runQuery<QualityRow>(store, config, 'report_quality', params(period));
  return rows.map((r) => {
    const bad = Number(r.warning_cycles) + Number(r.critical_cycles) > 0;
    return {
      model: r.model,
      metric: r.metric,
      week: r.week,
      cycles: Number(r.cycles),
      warningCycles: Number(r.warning_cycles),
      criticalCycles: Number(r.critical_cycles),
      peak: Number(r.peak),
      ...(bad ? { firstBad: parseTime(r.first_bad), lastBad: parseTime(r.last_bad) } : {}),
    };
  });
}
