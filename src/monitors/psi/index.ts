// PSI of the score and of configured features, per segment, reference vs current window.
import type { FeatureEdges } from '../../aggregates/index.js';
import { judgeEachWindow, type Monitor, type MonitorContext } from '../monitor.js';
import { SEQUENTIAL_WINDOW } from '../sequential.js';
import { cellBinsForEdges, evaluateBins, withOther, type PsiDetails } from './bins.js';
import { psiPresentation } from './present.js';
import { sequentialScoreEvaluations } from './sequential.js';

export { cellBinsForEdges, type PsiDetails } from './bins.js';

/**
 * Feature bins are learned once from a reference and kept by the seam, so they never chase the data they judge.
 * A categorical feature with more values than `monitors.psi.maxCategories` is said when its bins are learned.
 */
async function featureEdges({ config, source, windows, models, logger }: MonitorContext): Promise<FeatureEdges[]> {
  if (config.features.length === 0) return [];
  const edges = await source.featureEdges(windows.reference, models, config.features);
  for (const e of edges) {
    if (e.distinct === undefined || e.distinct <= e.categories.length) continue;
    logger.warn(
      { model: e.model, feature: e.feature, distinct: e.distinct, categories: e.categories.length },
      `feature ${e.feature} of ${e.model} had ${e.distinct} distinct values in the reference: its ${e.categories.length} most frequent are its PSI bins, the other ${e.distinct - e.categories.length} count as "other"; raise monitors.psi.maxCategories to bin more`,
    );
  }
  return edges;
}

/** Which model × feature pairs are categorical (their bin 0 is "other"). */
function categorical(edges: readonly FeatureEdges[]): Set<string> {
  return new Set(edges.filter((e) => e.categories.length > 0).map((e) => JSON.stringify([e.model, e.feature])));
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
    const withCategories = categorical(featureBins);
    const evaluations = await judgeEachWindow(windows, async (one) => {
      const scoreRows = await source.scoreBins(one, models, { bins: edges ? edges.length + 1 : bins, cellBins: edges ? cellBinsForEdges(edges) : [] });
      const featureRows = await source.featureBins(one, featureBins);
      return [
        ...scoreRows.map((row) => evaluateBins(config, row)),
        ...featureRows.map((row) => (withCategories.has(JSON.stringify([row.model, row.feature])) ? withOther(evaluateBins(config, row)) : evaluateBins(config, row))),
      ];
    });
    evaluations.push(...(await sequentialScoreEvaluations(config, source, windows, models, context.at)));
    return { evaluations };
  },
};
