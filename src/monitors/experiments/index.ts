// A/B tests and canaries: two live versions of one model side by side, compared on approvals with an anytime-valid test.
import type { AggregateSource } from '../../aggregates/index.js';
import { HOUR_MS } from '../../aggregates/pieces.js';
import type { Config } from '../../config/index.js';
import type { CycleWindows, ExperimentVerdict, TimeWindow } from '../../core/types.js';
import type { Monitor } from '../monitor.js';
import { judgeExperiment, type Span } from './compare.js';
import { detectExperiments, type Experiment } from './detect.js';
import { experimentsPresentation } from './present.js';
import { experimentSettings, settingsOf } from './settings.js';

/**
 * The experiment's span: from the later of the arms' first live events in the first hour of their latest shared run
 * (so both arms serve through all of it and the allocation is the split's) to the matured end of the longest current
 * window (labels as of `at` are final there). Undefined for a cutover: the control served nothing after the
 * treatment's first event, so the two never served side by side. `clamped`: the run reaches back to the start of the
 * windows, so the experiment may be older than what is judged.
 */
async function spanOf(source: AggregateSource, e: Experiment, windows: CycleWindows, at: Date): Promise<Span | undefined> {
  const within: TimeWindow = { from: new Date(e.runStart), to: new Date(e.runStart + HOUR_MS) };
  const firsts = await Promise.all([e.control, e.treatment].map(async (v) => (await source.served(e.model, v.version, within)).first ?? e.runStart));
  const from = Math.max(...firsts);
  // Side by side in the first hour after both started; a cutover's control served nothing after the new version's start.
  const since: TimeWindow = { from: new Date(from), to: new Date(Math.min(from + HOUR_MS, at.getTime())) };
  const together = await Promise.all([e.control, e.treatment].map((v) => source.served(e.model, v.version, since)));
  if (together.some((s) => s.events === 0)) return undefined;
  const end = windows.matured.current.to.getTime();
  return { from: new Date(from), to: new Date(Math.max(from, end)), clamped: e.runStart <= windows.reference.from.getTime() };
}

/** This cycle's experiments with their spans; the reads are the cycle's source's, so asking twice reads once. */
async function experimentsOf(config: Config, source: AggregateSource, windows: CycleWindows, models: string[], at: Date): Promise<{ e: Experiment; span: Span }[]> {
  const detected = detectExperiments(await source.liveVersions(windows), models, settingsOf(config));
  const out: { e: Experiment; span: Span }[] = [];
  for (const e of detected) {
    const span = await spanOf(source, e, windows, at);
    if (span) out.push({ e, span });
  }
  return out;
}

export const experimentsMonitor: Monitor<object, 'experiments'> = {
  name: 'experiments',
  settings: experimentSettings,
  present: experimentsPresentation,
  enabled: (config) => settingsOf(config).enabled,
  alerts: false,
  // While a treatment serves, the drift monitors judge its control (the version the reference describes): the
  // treatment is a different model, judged here, not drift of the control's traffic.
  async holdsOut({ config, source, windows, models, at }) {
    return (await experimentsOf(config, source, windows, models, at)).map(({ e }) => ({ model: e.model, version: e.treatment.version }));
  },
  // No evaluations: a verdict is judged by its own anytime-valid rules (docs/architecture.md, "Experiments").
  severityInput: () => ({ magnitude: 0, levels: { warning: Infinity, critical: Infinity } }),
  async evaluate({ config, source, windows, models, at }) {
    const settings = settingsOf(config);
    const verdicts: ExperimentVerdict[] = [];
    for (const { e, span } of await experimentsOf(config, source, windows, models, at)) {
      const rows = span.to > span.from ? await source.arms(span, [e.model], [e.control.version, e.treatment.version], at) : [];
      verdicts.push(judgeExperiment(config, settings, e, span, rows));
    }
    return { experiments: verdicts };
  },
};
