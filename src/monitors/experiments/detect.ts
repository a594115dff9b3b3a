// Which live versions of a model form an experiment: the ones serving side by side now, and which of them is the control.
import type { LiveVersion } from '../../aggregates/index.js';
import { HOUR_MS } from '../../aggregates/pieces.js';
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

/** A version holding this share of the serving versions' reference events is the incumbent: the control. */
const INCUMBENT_SHARE = 2 / 3;

/**
 * Experiments of `models`: two or more live versions of one model that served in the recent window (a version that
 * stopped serving is a finished rollout, not an arm) and in a common hour. The control is the version config
 * names, else the incumbent (two thirds of the reference's events: the version the drift monitors' reference
 * describes), else — arms of comparable reference traffic, a long-running A/B — the one that served first, then
 * the lower version in natural order (v9 before v10): never a choice noise could flip from one cycle to the next.
 * Every other serving version is a treatment against it.
 */
export function detectExperiments(versions: readonly LiveVersion[], models: readonly string[], settings: ExperimentSettings): Experiment[] {
  const out: Experiment[] = [];
  for (const model of models) {
    const serving = versions.filter((v) => v.model === model && v.recentEvents > 0);
    if (serving.length < 2) continue;
    const declared = settings.declared.find((d) => d.model === model);
    const control = declared?.control !== undefined ? serving.find((v) => v.version === declared.control) : controlOf(serving);
    // A declared control that does not serve now: no comparison can be made against it.
    if (!control) continue;
    const treatments = serving.filter((v) => v !== control);
    for (const treatment of treatments) {
      const runStart = latestRun(control.hours, treatment.hours);
      if (runStart === undefined) continue;
      const weights = declared?.split;
      const wc = weights?.[control.version];
      const wt = weights?.[treatment.version];
      out.push({
        model,
        control,
        treatment,
        arms: treatments.length,
        runStart,
        ...(wc !== undefined && wt !== undefined ? { split: { control: wc / (wc + wt), treatment: wt / (wc + wt) } } : {}),
      });
    }
  }
  return out;
}

const natural = new Intl.Collator('en', { numeric: true });

function controlOf(serving: readonly LiveVersion[]): LiveVersion | undefined {
  const total = serving.reduce((s, v) => s + v.referenceEvents, 0);
  const incumbent = serving.find((v) => total > 0 && v.referenceEvents >= INCUMBENT_SHARE * total);
  if (incumbent) return incumbent;
  const first = (v: LiveVersion) => v.hours[0] ?? Infinity;
  return [...serving].sort((a, b) => first(a) - first(b) || natural.compare(a.version, b.version))[0];
}

/** The first hour of the latest run of consecutive hours present in both lists (ascending hour starts); undefined without a common hour. */
export function latestRun(a: readonly number[], b: readonly number[]): number | undefined {
  const inB = new Set(b);
  const both = a.filter((h) => inB.has(h));
  let start = both[both.length - 1];
  if (start === undefined) return undefined;
  const shared = new Set(both);
  while (shared.has(start - HOUR_MS)) start -= HOUR_MS;
  return start;
}
