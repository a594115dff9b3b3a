// What a monitor is: the aggregates it reads, its statistic, how it is judged and how its values read in every sink.
import type { ZodType } from 'zod';
import type { AggregateSource, HeldOut } from '../aggregates/index.js';
import type { Config } from '../config/index.js';
import { formatNumber } from '../core/format.js';
import type { Line } from '../core/message.js';
import type { CycleResult, CycleWindows, Evaluation, Segment, Severity } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Levels } from './judge.js';

/** What a monitor may use: the read seam, never the store (reading is the seam's business, writing the sinks'). */
export interface MonitorContext {
  config: Config;
  source: AggregateSource;
  windows: CycleWindows;
  at: Date;
  models: string[];
  logger: Logger;
}

/** What a monitor adds to the cycle; evaluations are judged (FDR, severity) by the cycle afterwards. */
export type MonitorOutput = Partial<Pick<CycleResult, 'evaluations' | 'shadow' | 'quality' | 'approval' | 'experiments'>>;

/** The parts of an evaluation (or of an alert made from one) that its words and numbers are made of. */
export type Judged<Details extends object = object> = Pick<
  Evaluation<Details>,
  'monitor' | 'model' | 'segment' | 'feature' | 'value' | 'threshold' | 'details' | 'shadowVersion'
>;

/** Stands for the configured segment columns in a gauge's label list (each becomes one label). */
export const SEGMENT_LABELS = '{segment}';

/** One series of a gauge: label values by name (segment columns apart) and a number, or nothing to show. */
export interface GaugeSeries {
  labels: Record<string, string>;
  /** NaN and non-numbers leave the series out: better absent than a fake value. */
  value: unknown;
}

/**
 * The series one evaluation (or verdict) contributes to a gauge, kept or dropped together by the series cap,
 * which keeps the most severe and then the largest (so a segment never shows its current rate without the reference).
 */
export interface GaugeEntry {
  series: GaugeSeries[];
  segment?: Segment;
  severity: Severity;
  volume: number;
}

/** A gauge rebuilt by every cycle from the cycle's result: what it shows is exactly the last good cycle. */
export interface Gauge<Details extends object = object> {
  name: string;
  help: string;
  /** Label names in order; `SEGMENT_LABELS` marks where the segment columns go. */
  labels: readonly string[];
  /** The series of one cycle, from the monitor's own evaluations (and its part of the result). */
  series(evaluations: readonly Evaluation<Details>[], result: CycleResult): GaugeEntry[];
}

/** One value for the history table beyond an evaluation's own row (see src/sinks/history.ts for the columns). */
export interface HistoryValue {
  model: string;
  metric: string;
  value: unknown;
  feature?: string;
  shadow_version?: string;
  p_value?: number;
  note?: string;
}

/**
 * What a finding says happened, in a vocabulary every monitor shares: an incident's kind is read from the signals of
 * its alerts (alerts/incident.ts), so "approvals fell and calibration broke" needs no monitor's name. `ranking`: the
 * model separates outcomes less well (AUC); `fit`: its probabilities fit the outcomes worse for a reason the signal
 * alone does not tell (log loss rises with an outage, a miscalibration, a lost ranking or a riskier population), so
 * no kind is read from it.
 */
export type Signal = 'approval-down' | 'approval-up' | 'calibration' | 'ranking' | 'fit' | 'score-shift' | 'input-shift' | 'data-quality' | 'shadow';

/** How a monitor's values are named and shown: Slack and console lines, the report, gauges and history rows. */
export interface Presentation<Details extends object = object> {
  /** A group's header, e.g. `Approval rate dropped`. */
  headline(alerts: readonly Judged<Details>[]): string;
  /** What the finding says happened (an incident's kind is made of its alerts' signals). */
  signal(e: Judged<Details>): Signal;
  /** The judged number in the monitor's own terms, e.g. `PSI of score 0.31` or `Approval rate −6.2 pp (87.2% → 81.0%)`. */
  measure(e: Judged<Details>): Line;
  /** The threshold in the same unit as `measure`'s number. */
  threshold(e: Judged<Details>): string;
  /** The weekly report's wording of an alert. */
  report(e: Judged<Details>): { name: string; value: string; threshold: string };
  gauges: readonly Gauge<Details>[];
  /** The `metric` and `feature` columns of an evaluation's own history row, and numbers written beside it. */
  history(e: Evaluation<Details>): { metric: string; feature: string; derived: [string, unknown][] };
  /** History values from the monitor's part of the cycle result (overall rates, verdicts, counts). */
  cycleHistory?(result: CycleResult): HistoryValue[];
}

/**
 * A monitor: everything specific to it lives in its folder (`src/monitors/<name>/`) and is reached through this
 * descriptor, so the cycle, the alert engine and every sink iterate over the registry and never ask for a name.
 */
export interface Monitor<Details extends object = object, Name extends string = string> {
  name: Name;
  /**
   * The schema of `monitors.<name>` for a monitor that brings its own settings (the five built-in monitors'
   * settings are part of the config schema, since the rollup reads some of them). Checked when the config loads.
   */
  settings?: ZodType;
  enabled(config: Config): boolean;
  /** False for a monitor whose output is verdicts, never evaluations (experiments): it has no alerts to count. */
  alerts?: false;
  /**
   * Live versions the other monitors' drift questions leave out this cycle (an experiment's treatments), asked
   * before any monitor runs: the cycle hands every monitor a source that leaves them out (`leavingOut`).
   */
  holdsOut?(context: MonitorContext): Promise<HeldOut[]>;
  evaluate(context: MonitorContext): Promise<MonitorOutput>;
  /** The effect size an evaluation is judged on (larger is worse) and the levels it is judged against. */
  severityInput(config: Config, evaluation: Evaluation<Details>): { magnitude: number; levels: Levels };
  present: Presentation<Details>;
}

/** `['BANK', 'EU']` → `{ issuer: 'BANK', region: 'EU' }` with the configured segment names. */
export function segmentRecord(config: Config, values: string[]): Segment {
  return Object.fromEntries(config.segments.map((name, i) => [name, values[i] ?? '']));
}

/** A gauge with series per evaluation: `pick` gives each evaluation's series (none to skip it). */
export function evaluationGauge<Details extends object>(spec: Omit<Gauge, 'series'>, pick: (e: Evaluation<Details>) => GaugeSeries[]): Gauge<Details> {
  return {
    ...spec,
    series: (evaluations) => evaluations.map((e) => ({ series: pick(e), segment: e.segment, severity: e.severity, volume: e.nCurrent })),
  };
}

/** The plain wording of a judged number: the statistic's name and its value, e.g. `ece 0.101`. */
export function featureMeasure(e: Judged): Line {
  return [{ value: e.feature }, ` ${formatNumber(e.value)}`];
}

/** Keeps the pairs whose value is a number (NaN included: "computed, but undefined" is worth a history row). */
export function numbers(pairs: [string, unknown][]): [string, unknown][] {
  return pairs.filter(([, value]) => typeof value === 'number');
}

/**
 * Judges a statistic on each current window against the one reference (one window unless `windows.current`
 * lists several); with several, each evaluation names its window. `judge` gets the windows narrowed to one. A monitor
 * that judges some of the cycle's windows passes `several` for the cycle's own: a window's name is what its p-value's
 * renewals (core/windows.ts) and Slack's wording are read from.
 */
export async function judgeEachWindow<Details extends object>(
  windows: CycleWindows,
  judge: (one: CycleWindows) => Promise<Evaluation<Details>[]>,
  several = windows.currents.length > 1,
): Promise<Evaluation<Details>[]> {
  const out: Evaluation<Details>[] = [];
  for (const window of windows.currents) {
    const one: CycleWindows = { ...windows, current: window.current, matured: { reference: windows.matured.reference, current: window.matured }, currents: [window], set: windows.currents };
    const evaluations = await judge(one);
    out.push(...(several ? evaluations.map((e) => ({ ...e, window: window.name })) : evaluations));
  }
  return out;
}
