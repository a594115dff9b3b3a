// Data quality per model: volume against expectation, bad scores, duplicates, outcomes missing past maturity; orphan outcomes.
import type { QualityCounts } from '../../aggregates/index.js';
import { atLeastMinVolume } from '../../aggregates/volume.js';
import type { Config } from '../../config/index.js';
import type { CycleWindows, Evaluation, QualitySummary } from '../../core/types.js';
import { windowHours } from '../../core/windows.js';
import type { Monitor } from '../monitor.js';
import { qualityPresentation } from './present.js';

/** The counts behind a quality rate (which ones depends on the statistic). */
export interface QualityDetails {
  nan?: number;
  infinite?: number;
  outOfRange?: number;
  duplicates?: number;
  missingOutcomes?: number;
  matureEvents?: number;
  expectedRows?: number;
  rows?: number;
  /** no_data: the windows that held no live scoring event (ISO times), and where they were looked for. */
  empty?: { from: string; to: string; table: string };
}

function evaluation(_config: Config, q: QualityCounts, feature: string, value: number, levels: { warning: number }, details: QualityDetails): Evaluation<QualityDetails> {
  return {
    monitor: 'quality',
    model: q.model,
    segment: {},
    feature,
    value,
    threshold: levels.warning,
    severity: 'ok',
    nCurrent: q.rows,
    nReference: q.referenceRows,
    details,
  };
}

function evaluateModel(config: Config, windows: CycleWindows, q: QualityCounts): Evaluation<QualityDetails>[] {
  const levels = config.monitors.quality;
  const badScores = q.nanScores + q.infScores + q.outOfRange;
  const out: Evaluation<QualityDetails>[] = [];
  if (q.rows > 0) {
    out.push(evaluation(config, q, 'bad_score_rate', badScores / q.rows, levels.badScoreRate, { nan: q.nanScores, infinite: q.infScores, outOfRange: q.outOfRange }));
    out.push(evaluation(config, q, 'duplicate_rate', q.duplicates / q.rows, levels.duplicateRate, { duplicates: q.duplicates }));
  }
  if (atLeastMinVolume(config, q.matureEvents)) {
    out.push(
      evaluation(config, q, 'missing_outcome_rate', q.missingOutcomes / q.matureEvents, levels.missingOutcomeRate, {
        missingOutcomes: q.missingOutcomes,
        matureEvents: q.matureEvents,
      }),
    );
  }
  const expected = (q.referenceRows / windowHours(windows.reference)) * windowHours(windows.current);
  if (atLeastMinVolume(config, q.referenceRows) && expected > 0) {
    out.push(evaluation(config, q, 'volume_drop', Math.max(0, 1 - q.rows / expected), levels.volumeDrop, { expectedRows: Math.round(expected), rows: q.rows }));
  }
  return out;
}

/** Which configured levels judge each quality statistic. */
const QUALITY_LEVELS: Record<string, 'badScoreRate' | 'duplicateRate' | 'missingOutcomeRate' | 'volumeDrop'> = {
  bad_score_rate: 'badScoreRate',
  duplicate_rate: 'duplicateRate',
  missing_outcome_rate: 'missingOutcomeRate',
  volume_drop: 'volumeDrop',
};

export function summarize(counts: QualityCounts[]): QualitySummary {
  const sum = (pick: (q: QualityCounts) => number) => counts.reduce((s, q) => s + pick(q), 0);
  return {
    rows: sum((q) => q.rows),
    badScores: sum((q) => q.nanScores + q.infScores + q.outOfRange),
    missingOutcomes: sum((q) => q.missingOutcomes),
    duplicates: sum((q) => q.duplicates),
    futureEvents: sum((q) => q.futureEvents),
  };
}

/** The statistic of windows that hold no live scoring event at all: a warning, never an all-clear. */
export const NO_DATA = 'no_data';
const NO_DATA_LEVELS = { warning: 1, critical: Number.POSITIVE_INFINITY };

/**
 * Empty windows: no live event in the reference nor the current window, for a configured model or (none
 * configured, none found) for all traffic. A mistyped event_time mapping, a feed that stopped long ago and an empty
 * table look alike here; volume_drop covers a model whose current window alone is empty.
 */
function noData(config: Config, models: readonly string[], counts: readonly QualityCounts[], empty: NonNullable<QualityDetails['empty']>): Evaluation<QualityDetails>[] {
  const blank = (model: string): QualityCounts => ({ model, rows: 0, nanScores: 0, infScores: 0, outOfRange: 0, duplicates: 0, futureEvents: 0, referenceRows: 0, matureEvents: 0, missingOutcomes: 0 });
  const silent = models.length === 0 ? [blank('')] : counts.filter((q) => q.rows === 0 && q.referenceRows === 0);
  return silent.map((q) => evaluation(config, q, NO_DATA, 1, NO_DATA_LEVELS, { empty }));
}

export function emptyText(model: string, empty: NonNullable<QualityDetails['empty']>): string {
  return `no live scoring events${model ? ` of model ${model}` : ''} in ${empty.table} from ${empty.from} to ${empty.to}: check tables.events and columns.events.event_time (and models), or that scoring logs are arriving`;
}

export const qualityMonitor: Monitor<QualityDetails, 'quality'> = {
  name: 'quality',
  present: qualityPresentation,
  severityInput: (config, e) => ({ magnitude: e.value, levels: e.feature === NO_DATA ? NO_DATA_LEVELS : config.monitors.quality[QUALITY_LEVELS[e.feature] ?? 'badScoreRate'] }),
  enabled: (config) => config.monitors.quality.enabled,
  async evaluate({ config, source, windows, models, at, logger }) {
    const counts = await source.quality(windows, models, at);
    // A model with no rows in either window still gets a zero line, so a total outage is visible.
    for (const model of models) {
      if (!counts.some((q) => q.model === model)) {
        counts.push({ model, rows: 0, nanScores: 0, infScores: 0, outOfRange: 0, duplicates: 0, futureEvents: 0, referenceRows: 0, matureEvents: 0, missingOutcomes: 0 });
      }
    }
    const quality = { ...summarize(counts), orphanOutcomes: await source.orphanOutcomes(windows.current) };
    const where = { from: windows.reference.from.toISOString(), to: windows.current.to.toISOString(), table: config.tables.events };
    const empty = noData(config, models, counts, where);
    for (const e of empty) logger.warn({ model: e.model || undefined, ...where }, emptyText(e.model, where));
    return { evaluations: [...counts.flatMap((q) => evaluateModel(config, windows, q)), ...empty], quality };
  },
};
