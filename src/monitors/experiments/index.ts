// A/B tests and canaries: two live versions of one model side by side, compared on approvals with an anytime-valid test.
import type { AggregateSource } from '../../aggregates/index.js';
import type { ExperimentVerdict, TimeWindow } from '../../core/types.js';
import type { Monitor } from '../monitor.js';
import { judgeExperiment } from './compare.js';
import { detectExperiments, type Experiment } from './detect.js';
import { experimentsPresentation } from './present.js';
import { experimentSettings, settingsOf } from './settings.js';

const HOUR_MS = 3_600_000;

/**
 * The experiment's span: from the later of the arms' first live events in the first hour of their latest shared run
 * (so both arms serve through all of it and the allocation is the split's) to the matured end of the longest
 * current window (labels as of `at` are final there).
 */
async function spanOf(source: AggregateSource, e: Experiment, maturedEnd: Date): Promise<TimeWindow> {
  const within: TimeWindow = { from: new Date(e.runStart), to: new Date(e.runStart + HOUR_MS) };
  const starts = await Promise.all([e.control, e.treatment].map(async (v) => (await source.firstEvent(e.model, v.version, within)) ?? e.runStart));
  const from = Math.max(...starts);
  return { from: new Date(from), to: new Date(Math.max(from, maturedEnd.getTime())) };
}

export const experimentsMonitor: Monitor<object, 'experiments'> = {
  name: 'experiments',
  settings: experimentSettings,
  present: experimentsPresentation,
  enabled: (config) => settingsOf(config).enabled,
  alerts: false,
  // No evaluations: a verdict is judged by its own anytime-valid rules (docs/architecture.md, "Experiments").
  severityInput: () => ({ magnitude: 0, levels: { warning: Infinity, critical: Infinity } }),
  // While a treatment serves, the drift monitors judge its control (the version the reference describes): the
  // treatment is a different model, judged here, not drift of the control's traffic.
  async holdsOut({ config, source, windows, models }) {
    const experiments = detectExperiments(await source.liveVersions(windows), models, settingsOf(config));
    return experiments.map((e) => ({ model: e.model, version: e.treatment.version }));
  },
  async evaluate({ config, source, windows, models, at }) {
    const settings = settingsOf(config);
    const experiments = detectExperiments(await source.liveVersions(windows), models, settings);
    const verdicts: ExperimentVerdict[] = [];
    for (const e of experiments) {
      const span = await spanOf(source, e, windows.matured.current.to);
      const rows = span.to > span.from ? await source.arms(span, [e.model], [e.control.version, e.treatment.version], at) : [];
      verdicts.push(judgeExperiment(config, settings, e, span, rows));
    }
    return { experiments: verdicts };
  },
};
