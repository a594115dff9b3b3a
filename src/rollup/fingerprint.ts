// Fingerprints of the config a rollup kind depends on: a change (segments, grid, maturity, bins, edges) means a rebuild.
import { createHash } from 'node:crypto';
import { GRID_LOGIT_FROM, GRID_LOGIT_TO, SCORE_GRID_CELLS } from '../aggregates/grid.js';
import type { FeatureEdges } from '../aggregates/types.js';
import type { Config } from '../config/index.js';

/** Every kind of rollup, in fold order. */
export const ROLLUP_KINDS = ['events', 'labels', 'features', 'orphans', 'shadow'] as const;
export type RollupKind = (typeof ROLLUP_KINDS)[number];

/** Bumped when a fold query changes what it stores; the score grid is part of it, so a new grid rebuilds the rollup. */
const LAYOUT = `rollup-v4 grid=logit${SCORE_GRID_CELLS}[${GRID_LOGIT_FROM},${GRID_LOGIT_TO}] duplicates=5min labels=latest-outcome orphans=lookback`;

/**
 * How the label kinds (labels, shadow) put a score in a calibration bin: by comparison with the edges k/B
 * (aggregates/calibration-bins.ts). Rollups folded with floor(score·B) differ at the edges, so they are rebuilt.
 */
const CALIBRATION_BINNING = 'cal-bin=edges-k/B';

/** What the labels kind holds beyond calibration: per-outcome grid cells and log loss (the performance monitor's), decisions and latency cells (experiments'). */
const LABEL_SUMS = 'performance=cells-by-outcome,log-loss-eps1e-15;decisions=4;latency=log1.01@0.01x1850';

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function sourceOf(config: Config) {
  return { layout: LAYOUT, segments: config.segments, tables: config.tables, events: config.columns.events };
}

export function eventsFingerprint(config: Config): string {
  return digest(sourceOf(config));
}

export function labelsFingerprint(config: Config): string {
  return digest({ ...sourceOf(config), outcomes: config.columns.outcomes, maturity: config.windows.maturity, bins: config.monitors.calibration.bins, binning: CALIBRATION_BINNING, sums: LABEL_SUMS });
}

/**
 * Feature bins depend on the stored bins (edges, or a categorical feature's categories, and which columns those
 * are read from): learning a new feature's bins starts that kind afresh.
 */
export function featuresFingerprint(config: Config, edges: readonly FeatureEdges[]): string {
  const sorted = [...edges].sort((a, b) => (a.model + '\u0000' + a.feature < b.model + '\u0000' + b.feature ? -1 : 1));
  // Numeric-only bins keep the fingerprint they had before categories existed: no rebuild on upgrade.
  const bins = sorted.map((e) => (e.categories.length === 0 ? [e.model, e.feature, e.edges] : [e.model, e.feature, e.edges, e.categories]));
  const columns = config.featureColumns.length === 0 ? {} : { featureColumns: [...config.featureColumns].sort() };
  return digest({ ...sourceOf(config), edges: bins, ...columns });
}

/** Orphan outcomes per outcome hour (queries/orphan_outcomes.sql): the outcome columns and the maturity delay. */
export function orphansFingerprint(config: Config): string {
  return digest({ ...sourceOf(config), rule: 'orphans-v2 latest-outcome', outcomes: config.columns.outcomes, maturity: config.windows.maturity });
}

/** Shadow pairs per hour (queries/shadow_pairs.sql): labels.sql's outcome rule and the calibration bins. */
export function shadowFingerprint(config: Config): string {
  return digest({ ...sourceOf(config), rule: 'shadow-v3 whole pairs', outcomes: config.columns.outcomes, maturity: config.windows.maturity, bins: config.monitors.calibration.bins, binning: CALIBRATION_BINNING });
}

/** The fingerprint of `kind` under this config (and, for the feature kind, these stored edges). */
export function fingerprintOf(config: Config, kind: RollupKind, edges: readonly FeatureEdges[] = []): string {
  switch (kind) {
    case 'events':
      return eventsFingerprint(config);
    case 'labels':
      return labelsFingerprint(config);
    case 'features':
      return featuresFingerprint(config, edges);
    case 'orphans':
      return orphansFingerprint(config);
    case 'shadow':
      return shadowFingerprint(config);
  }
}
