// How a cycle's result becomes the series of each monitor's gauges: the monitors say which, this file labels them.
import type { Config } from '../../config/index.js';
import type { CycleResult, Evaluation, Segment, Severity } from '../../core/types.js';
import { ofLongestWindow } from '../../core/windows.js';
import { SEGMENT_LABELS, type Gauge } from '../../monitors/monitor.js';
import { enabledMonitors } from '../../monitors/registry.js';
import { labelValue } from './labels.js';
import type { Candidate, Labels, Series } from './select.js';

/** Segment columns (keys of `Evaluation.segment`) and the label name each is exposed as. */
export interface SegmentLabeling {
  columns: readonly string[];
  labels: readonly string[];
}

/** A gauge with the monitor it belongs to. */
export interface CycleGauge {
  monitor: string;
  gauge: Gauge;
}

/** The gauges of the monitors this config turns on, in registry order. */
export function cycleGauges(config: Config): CycleGauge[] {
  return enabledMonitors(config).flatMap((m) => m.present.gauges.map((gauge) => ({ monitor: m.name, gauge })));
}

/** A gauge's label names, with the configured segment columns in place of `SEGMENT_LABELS`. */
export function gaugeLabelNames(gauge: Gauge, labeling: SegmentLabeling): string[] {
  return gauge.labels.flatMap((name) => (name === SEGMENT_LABELS ? [...labeling.labels] : [name]));
}

/** The candidate series of every per-cycle gauge, by gauge name; the cap (select.ts) decides which are shown. */
export function cycleCandidates(gauges: readonly CycleGauge[], result: CycleResult, labeling: SegmentLabeling): Map<string, Candidate[]> {
  const out = new Map<string, Candidate[]>();
  for (const { monitor, gauge } of gauges) {
    const own = result.evaluations.filter((e) => e.monitor === monitor && ofLongestWindow(e, result.windows));
    const candidates: Candidate[] = [];
    for (const entry of gauge.series(own, result)) {
      const series = entry.series.flatMap((s) => point(orderedLabels(gauge, s.labels, entry.segment, labeling), s.value));
      if (series.length > 0) candidates.push({ severity: entry.severity, volume: entry.volume, series });
    }
    out.set(gauge.name, candidates);
  }
  return out;
}

/** Label values in the gauge's order (prom-client prints them in insertion order), every value made safe. */
function orderedLabels(gauge: Gauge, values: Record<string, string>, segment: Segment | undefined, labeling: SegmentLabeling): Labels {
  const labels: Labels = {};
  for (const name of gauge.labels) {
    if (name !== SEGMENT_LABELS) labels[name] = labelValue(values[name] ?? '');
    else labeling.columns.forEach((column, i) => (labels[labeling.labels[i] ?? column] = labelValue(segment?.[column] == null ? '' : String(segment[column]))));
  }
  return labels;
}

/** A series, or none when there is no number (NaN means "not computed": better absent than a fake value). */
function point(labels: Labels, value: unknown): Series[] {
  return typeof value === 'number' && !Number.isNaN(value) ? [{ labels, value }] : [];
}

/**
 * driftwatch's own judgement on /metrics: one series per judged model × monitor × feature × segment (× shadow
 * version), 0 ok, 1 warning, 2 critical, after effect size, the cycle's Benjamini–Hochberg pass and minimum volume.
 * A finding's series names its strongest window (`window`), a segment judged ok its longest window's; the shipped
 * rules take the maximum without `window`, so an alert stays one alert whichever window is strongest.
 */
export const FINDING_SEVERITY = {
  name: 'driftwatch_finding_severity',
  help: "driftwatch's judgement per model, monitor, feature and segment: 0 ok, 1 warning, 2 critical (after effect size, FDR and minimum volume); window is the strongest window's",
  labels: ['monitor', 'model', 'feature', 'window', 'shadow_version'],
} as const;

const LEVEL: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

/** FINDING_SEVERITY's label names, the segment columns' after its own. */
export function severityLabelNames(labeling: SegmentLabeling): string[] {
  return [...FINDING_SEVERITY.labels, ...labeling.labels];
}

/** The candidate series of FINDING_SEVERITY: each finding, and each segment judged ok on the longest window. */
export function severityCandidates(result: CycleResult, labeling: SegmentLabeling): Candidate[] {
  const identity = (e: Evaluation) => JSON.stringify([e.monitor, e.model, e.feature, e.shadowVersion ?? '', labeling.columns.map((c) => e.segment[c] ?? '')]);
  const shown = new Map<string, Evaluation>();
  for (const f of result.findings) shown.set(identity(f), f);
  for (const e of result.evaluations) if (ofLongestWindow(e, result.windows) && !shown.has(identity(e))) shown.set(identity(e), e);
  const longest = result.windows.currents[result.windows.currents.length - 1]?.name ?? '';
  return [...shown.values()].map((e) => {
    const labels: Labels = {
      monitor: labelValue(e.monitor),
      model: labelValue(e.model),
      feature: labelValue(e.feature),
      window: labelValue(e.window ?? longest),
      shadow_version: labelValue(e.shadowVersion ?? ''),
    };
    labeling.columns.forEach((column, i) => (labels[labeling.labels[i] ?? column] = labelValue(e.segment[column] == null ? '' : String(e.segment[column]))));
    return { severity: e.severity, volume: e.nCurrent, series: [{ labels, value: LEVEL[e.severity] }] };
  });
}
