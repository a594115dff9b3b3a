// PSI of the score and of configured features, per segment, reference vs current window.
import type { BinnedSegment, FeatureEdges } from '../aggregates/index.js';
import type { Config } from '../config/index.js';
import { chiSquareHomogeneity, psiFromCounts, psiNoiseFloor } from '../stats/index.js';
import { loadFeatureEdges, saveFeatureEdges } from './feature-edges.js';
import { segmentRecord, type Monitor, type MonitorContext } from './monitor.js';
import type { Evaluation } from './types.js';

/** Grid cells of the score histogram (see queries/psi_score.sql): 256 cells uniform in logit(score) over [−8, 8]. */
export const SCORE_GRID_CELLS = 256;

/** Bin of each grid cell for configured edges: a cell goes where its midpoint falls. */
export function cellBinsForEdges(edges: readonly number[]): number[] {
  const sorted = [...edges].sort((a, b) => a - b);
  return Array.from({ length: SCORE_GRID_CELLS }, (_, cell) => {
    const midpoint = 1 / (1 + Math.exp(-((cell + 0.5) / 16 - 8)));
    return sorted.filter((edge) => edge <= midpoint).length;
  });
}

function evaluateBins(config: Config, row: BinnedSegment): Evaluation {
  const { epsilon } = config.monitors.psi;
  const psi = psiFromCounts(row.referenceBins, row.currentBins, { epsilon });
  const test = chiSquareHomogeneity(row.referenceBins, row.currentBins);
  const usedBins = row.referenceBins.filter((n, i) => n > 0 || (row.currentBins[i] ?? 0) > 0).length;
  return {
    monitor: 'psi',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    feature: row.feature,
    value: psi,
    threshold: config.monitors.psi.thresholds.warning,
    severity: 'ok',
    nCurrent: row.nCurrent,
    nReference: row.nReference,
    pValue: test.pValue,
    details: {
      chiSquare: test.statistic,
      df: test.df,
      noiseFloor: psiNoiseFloor(Math.max(usedBins, 2), row.nReference, row.nCurrent),
      referenceBins: row.referenceBins,
      currentBins: row.currentBins,
    },
  };
}

async function featureEdges(context: MonitorContext): Promise<FeatureEdges[]> {
  const { config, store, source, windows, models } = context;
  if (config.features.length === 0) return [];
  const known = await loadFeatureEdges(store, config);
  const missing = models.flatMap((model) =>
    config.features.filter((feature) => !known.some((e) => e.model === model && e.feature === feature)).map((feature) => ({ model, feature })),
  );
  if (missing.length > 0) {
    const learned = await source.learnFeatureEdges(
      windows.reference,
      [...new Set(missing.map((m) => m.model))],
      [...new Set(missing.map((m) => m.feature))],
    );
    const fresh = learned.filter((e) => e.edges.length > 0 && missing.some((m) => m.model === e.model && m.feature === e.feature));
    await saveFeatureEdges(store, config, fresh, windows.reference);
    known.push(...fresh);
  }
  return known.filter((e) => models.includes(e.model) && config.features.includes(e.feature));
}

export const psiMonitor: Monitor = {
  name: 'psi',
  severityInput: (config, e) => ({ magnitude: e.value, levels: config.monitors.psi.thresholds }),
  enabled: (config) => config.monitors.psi.enabled,
  async evaluate(context) {
    const { config, source, windows, models } = context;
    const { bins, edges } = config.monitors.psi;
    const scoreRows = await source.scoreBins(windows, models, {
      bins: edges ? edges.length + 1 : bins,
      cellBins: edges ? cellBinsForEdges(edges) : [],
      minVolume: config.minVolume,
    });
    const featureRows = await source.featureBins(windows, await featureEdges(context), config.minVolume);
    return { evaluations: [...scoreRows, ...featureRows].map((row) => evaluateBins(config, row)) };
  },
};
