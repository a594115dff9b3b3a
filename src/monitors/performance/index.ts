// Realized performance of the live model per segment: AUC and log loss on matured labels, each window against the reference.
import { z } from 'zod';
import type { PerformanceSegment, PerformanceWindow } from '../../aggregates/index.js';
import { DURATION_PATTERN, levels, parseDuration, type Config } from '../../config/index.js';
import type { CycleWindows, Evaluation } from '../../core/types.js';
import { normalCdf, unpairedAucTest, welchMeanDifference } from '../../stats/index.js';
import { judgeEachWindow, segmentRecord, type Monitor } from '../monitor.js';
import { performancePresentation } from './present.js';

/**
 * `monitors.performance` in the config. On by default: "the live model ranks worse than last week" is what drift
 * measures only indirectly. `thresholds` are AUC points lost against the reference (0.02 = 2 points); `logLoss` is
 * the rise of the mean log loss in nats. A window is judged when it and the reference hold `minMinority` events of
 * each outcome (DeLong's variance and the normal approximation behind both tests need both classes populated).
 * Only current windows at least `minWindow` long are judged (and the longest, whatever its length): a ranking
 * decays over hours, and a 15-minute window's AUC, whose test a day of renewals divides by 96, would page on
 * nothing the 6 h window does not find while costing a running sum of 512 cells per segment.
 */
export const performanceSettings = z
  .strictObject({
    enabled: z.boolean().default(true),
    thresholds: levels(0.02, 0.05),
    logLoss: levels(0.05, 0.1),
    minMinority: z.number().int().min(2).default(30),
    minWindow: z
      .string()
      .regex(DURATION_PATTERN, 'must be a duration like 30m, 6h or 1d')
      .transform((text) => parseDuration(text) as number)
      .default(21_600_000),
  })
  .prefault({});

export type PerformanceSettings = z.infer<typeof performanceSettings>;

/** Both windows' numbers behind a judged AUC or log-loss change; the test is the one of its own feature. */
export interface PerformanceDetails {
  auc: number;
  referenceAuc: number;
  logLoss: number;
  referenceLogLoss: number;
  brier: number;
  referenceBrier: number;
  /** The current window's approved and declined events with a score. */
  positives: number;
  negatives: number;
  /** The test of this evaluation's change: standard error and z (positive when worse). */
  se: number;
  z: number;
}

const settingsOf = (config: Config): PerformanceSettings => performanceSettings.parse(config.monitors.performance);

/** One-sided p-value of a z that is positive when the model got worse: only a degradation is a finding. */
function worsePValue(delta: number, se: number): number {
  if (se === 0) return delta > 0 ? 0 : 1;
  return normalCdf(-delta / se);
}

/** delta / se; with se 0, ±Infinity for a change and 0 for none (as unpairedAucTest). */
const zOf = (delta: number, se: number): number => (se > 0 ? delta / se : delta === 0 ? 0 : Math.sign(delta) * Infinity);

function classes(w: PerformanceWindow): { positives: number; negatives: number } {
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < w.positives.length; i++) positives += w.positives[i] as number;
  for (let i = 0; i < w.negatives.length; i++) negatives += w.negatives[i] as number;
  return { positives, negatives };
}

function evaluateSegment(config: Config, row: PerformanceSegment): Evaluation<PerformanceDetails>[] {
  const settings = settingsOf(config);
  const current = classes(row.current);
  const reference = classes(row.reference);
  if (Math.min(current.positives, current.negatives, reference.positives, reference.negatives) < settings.minMinority) return [];
  const aucTest = unpairedAucTest(row.reference, row.current);
  if (!Number.isFinite(aucTest.delta) || Number.isNaN(aucTest.se)) return [];
  const lossSums = (w: PerformanceWindow) => ({ n: w.labeled, sum: w.logLoss, sumSquares: w.logLossSquares });
  const loss = welchMeanDifference(lossSums(row.reference), lossSums(row.current));
  const common = {
    monitor: 'performance',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    severity: 'ok' as const,
    nCurrent: row.current.labeled,
    nReference: row.reference.labeled,
  };
  const details = {
    auc: aucTest.aucB,
    referenceAuc: aucTest.aucA,
    logLoss: row.current.logLoss / row.current.labeled,
    referenceLogLoss: row.reference.logLoss / row.reference.labeled,
    brier: row.current.brier / row.current.labeled,
    referenceBrier: row.reference.brier / row.reference.labeled,
    positives: current.positives,
    negatives: current.negatives,
  };
  const out: Evaluation<PerformanceDetails>[] = [
    {
      ...common,
      feature: 'auc',
      // The change in AUC, current − reference: negative when the model ranks worse.
      value: aucTest.aucB - aucTest.aucA,
      threshold: settings.thresholds.warning,
      pValue: worsePValue(aucTest.delta, aucTest.se),
      details: { ...details, se: aucTest.se, z: zOf(aucTest.delta, aucTest.se) },
    },
  ];
  if (Number.isFinite(loss.delta) && Number.isFinite(loss.se)) {
    out.push({
      ...common,
      feature: 'log_loss',
      value: loss.delta,
      threshold: settings.logLoss.warning,
      pValue: worsePValue(loss.delta, loss.se),
      details: { ...details, se: loss.se, z: loss.z },
    });
  }
  return out;
}

/** The cycle's windows narrowed to the current windows at least `minWindow` long, the longest always among them. */
function judgedWindows(windows: CycleWindows, minWindow: number): CycleWindows {
  const length = (w: { current: { from: Date; to: Date } }) => w.current.to.getTime() - w.current.from.getTime();
  const longest = windows.currents[windows.currents.length - 1];
  return { ...windows, currents: windows.currents.filter((w) => length(w) >= minWindow || w === longest) };
}

export const performanceMonitor: Monitor<PerformanceDetails, 'performance'> = {
  name: 'performance',
  settings: performanceSettings,
  present: performancePresentation,
  enabled: (config) => settingsOf(config).enabled,
  // Larger is worse: AUC points lost, log loss gained.
  severityInput: (config, e) =>
    e.feature === 'auc' ? { magnitude: -e.value, levels: settingsOf(config).thresholds } : { magnitude: e.value, levels: settingsOf(config).logLoss },
  async evaluate({ config, source, windows, models, at }) {
    // Named whenever the cycle has several windows, even if one is judged here: the renewals go by the name.
    const several = windows.currents.length > 1;
    const evaluations = await judgeEachWindow(
      judgedWindows(windows, settingsOf(config).minWindow),
      async (one) => (await source.performance(one, models, at)).flatMap((row) => evaluateSegment(config, row)),
      several,
    );
    return { evaluations };
  },
};
