// PSI of the score and of configured features, per segment, reference vs current window.
import type { FeatureEdges } from '../../aggregates/index.js';
import { judgeEachWindow, type Monitor, type MonitorContext } from '../monitor.js';
import { SEQUENTIAL_WINDOW } from '../sequential.js';
import { cellBinsForEdges, evaluateBins, type PsiDetails } from './bins.js';
import { psiPresentation } from './present.js';
import { sequentialScoreEvaluations } from './sequential.js';

export { cellBinsForEdges, type PsiDetails } from './bins.js';

/** Feature bins are learned once from a reference and kept by the seam, so they never chase the data they judge. */
function featureEdges({ config, source, windows, models }: MonitorContext): Promise<FeatureEdges[]> {
  return config.features.length === 0 ? Promise.resolve([]) : source.featureEdges(windows.reference, models, config.features);
}

export const psiMonitor: Monitor<PsiDetails, 'psi'> = {
  name: 'psi',
  present: psiPresentation,
  // The sequential test's span may hold a handful of events, whose PSI is mostly noise ((bins − 1)/n): its PSI
  // counts above that noise floor. A window holds at least WINDOW_FLOOR events and is judged on its PSI.
  severityInput: (config, e) => ({ magnitude: e.window === SEQUENTIAL_WINDOW ? Math.max(0, e.value - (e.details?.noiseFloor ?? 0)) : e.value, levels: config.monitors.psi.thresholds }),
  enabled: (config) => config.monitors.psi.enabled,
  async evaluate(context) {
    const { config, source, windows, models } = context;
    const { bins, edges } = config.monitors.psi;
    const featureBins = await featureEdges(context);
    const evaluations = await judgeEachWindow(windows, async (one) => {
      const scoreRows = await source.scoreBins(one, models, { bins: edges ? edges.length + 1 : bins, cellBins: edges ? cellBinsForEdges(edges) : [] });
      const featureRows = await source.featureBins(one, featureBins);
      return [...scoreRows, ...featureRows].map((row) => evaluateBins(config, row));
    });
    evaluations.push(...(await sequentialScoreEvaluations(config, source, windows, models, context.at)));
    return { evaluations };
  },
};
