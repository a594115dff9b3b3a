// Which live versions of a model form an experiment: the ones serving side by side now, and which of them is the control.
import type { LiveVersion } from '../../aggregates/index.js';
import type { ExperimentSettings } from './settings.js';

/** One treatment against its control; `split` is the declared share of each when config names both. */
export interface Experiment {
  model: string;
  control: LiveVersion;
  treatment: LiveVersion;
  /** Treatments of this model: the interval's α is split between them (Bonferroni). */
  arms: number;
  /**
   * Start of the first hour of the latest run of consecutive hours both arms served in: the experiment runs from
   * there (a version that served before a pause starts a new experiment when it comes back).
   */
  runStart: number;
  split?: { control: number; treatment: number };
}

/**
 * Experiments of `models`: two or more live versions of one model that served in the recent window (a version that
 * stopped serving is a finished rollout, not an arm). The control is the version config names, else the one that
 * served most of the reference window (the version the drift monitors' reference describes), ties to the earlier
 * one. Every other serving version is a treatment against it.
 */
export function detectExperiments(versions: readonly LiveVersion[], models: readonly string[], settings: ExperimentSettings): Experiment[] {
  const out: Experiment[] = [];
  for (const model of models) {
    const serving = versions.filter((v) => v.model === model && v.recentEvents > 0);
    if (serving.length < 2) continue;
    const declared = settings.declared.find((d) => d.model === model);
    const control = declared?.control !== undefined ? serving.find((v) => v.version === declared.control) : [...serving].sort(byReferenceShare)[0];
    // A declared control that does not serve now: no comparison can be made against it.
    if (!control) continue;
    const treatments = serving.filter((v) => v !== control);
    for (const treatment of treatments) {
      const weights = declared?.split;
      const wc = weights?.[control.version];
      const wt = weights?.[treatment.version];
      out.push({
        model,
        control,
        treatment,
        arms: treatments.length,
        runStart: latestRun(control.hours, treatment.hours),
        ...(wc !== undefined && wt !== undefined ? { split: { control: wc / (wc + wt), treatment: wt / (wc + wt) } } : {}),
      });
    }
  }
  return out;
}

const HOUR_MS = 3_600_000;

/** The first hour of the latest run of consecutive hours present in both lists (ascending hour starts). */
export function latestRun(a: readonly number[], b: readonly number[]): number {
  const inB = new Set(b);
  const both = a.filter((h) => inB.has(h));
  const shared = new Set(both);
  let start = both[both.length - 1] ?? a[0] ?? 0;
  while (shared.has(start - HOUR_MS)) start -= HOUR_MS;
  return start;
}

function byReferenceShare(a: LiveVersion, b: LiveVersion): number {
  if (a.referenceEvents !== b.referenceEvents) return b.referenceEvents - a.referenceEvents;
  const first = (v: LiveVersion) => v.hours[0] ?? Infinity;
  if (first(a) !== first(b)) return first(a) - first(b);
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
