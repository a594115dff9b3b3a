// Stored PSI bins of features (edges, or a categorical feature's categories): learned once from a reference window and kept, so bins never chase the data.
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../core/types.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import type { FeatureEdges } from './types.js';

export const FEATURE_EDGES_TABLE = 'driftwatch_feature_edges';

export function featureEdgesDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, FEATURE_EDGES_TABLE)} (
  model       String,
  feature     String,
  edges       Array(Float64),
  categories  Array(String),
  max_categories  UInt32,
  distinct_values UInt64,
  learned_at  DateTime64(3, 'UTC'),
  ref_from    DateTime64(3, 'UTC'),
  ref_to      DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(learned_at)
ORDER BY (model, feature)`;
}

/** Columns added since the table was first created: a store from before gets them (empty for its rows). */
export function featureEdgesAddedColumns(config: Config): string[] {
  const table = tableRef(config, FEATURE_EDGES_TABLE);
  return [
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS categories Array(String) AFTER edges`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS max_categories UInt32 AFTER categories`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS distinct_values UInt64 AFTER max_categories`,
  ];
}

/** One stored binning of a feature: its bins, the cap it was learned under and the reference's distinct values (0: unknown). */
interface StoredBins {
  model: string;
  feature: string;
  categorical: number | boolean;
  cap: number;
  first: string;
  bins: [number[], string[], number];
}

/**
 * Whether stored categories serve a config capped at `cap`: learned under that cap, or holding every value the
 * reference had within it (nothing was cut off). Rows from before the cap was stored (cap 0) serve as they are.
 */
function servesCap(r: StoredBins, cap: number): boolean {
  const learnedCap = Number(r.cap);
  const distinct = Number(r.bins[2]);
  const kept = r.bins[1].length;
  return learnedCap === 0 || learnedCap === cap || (distinct > 0 && distinct <= kept && kept <= cap);
}

/**
 * The stored bins of the kind the config reads each feature as: categories for `featureColumns`, edges for the
 * features map's keys. A name read the other way before (a map key that became a column) keeps its old bins
 * apart, so they never bin the other kind's values. Categories learned under another `monitors.psi.maxCategories`
 * that cut values off are not used: the feature is learned again under the config's cap (featureEdgesOf).
 */
export async function loadFeatureEdges(store: Store, config: Config): Promise<FeatureEdges[]> {
  // The first learned bins win (per cap): argMin over learn time, so a re-learn racing a restart cannot move the bins.
  const rows = await store.select<StoredBins>(
    `SELECT model, feature, notEmpty(categories) AS categorical, max_categories AS cap, toString(min(learned_at)) AS first,
       argMin((edges, categories, distinct_values), learned_at) AS bins
     FROM ${tableRef(config, FEATURE_EDGES_TABLE)} GROUP BY model, feature, categorical, cap ORDER BY first`,
    {},
    'load feature edges',
  );
  const cap = config.monitors.psi.maxCategories;
  const chosen = new Map<string, StoredBins>();
  for (const r of rows) {
    const categorical = Boolean(Number(r.categorical));
    if (categorical !== config.featureColumns.includes(r.feature)) continue;
    if (categorical && !servesCap(r, cap)) continue;
    const key = `${r.model}\u0000${r.feature}`;
    const kept = chosen.get(key);
    // The first learned, unless a later binning was learned under the config's own cap.
    if (!kept || (categorical && Number(kept.cap) !== cap && Number(r.cap) === cap)) chosen.set(key, r);
  }
  // Categories of a FixedString column learned before values were read without their NUL padding keep it in the
  // store: stripped here, so they match the values as read now (the order, hence every folded bin, is the same).
  return [...chosen.values()].map((r) => ({ model: r.model, feature: r.feature, edges: r.bins[0].map(Number), categories: r.bins[1].map((c) => c.replace(/\0+$/, '')) }));
}

export async function saveFeatureEdges(store: Store, config: Config, edges: FeatureEdges[], reference: TimeWindow): Promise<void> {
  const learnedAt = chTime(Date.now());
  await store.insert(
    tableRef(config, FEATURE_EDGES_TABLE),
    edges.map((e) => ({
      model: e.model,
      feature: e.feature,
      edges: e.edges,
      categories: e.categories,
      max_categories: e.categories.length > 0 ? config.monitors.psi.maxCategories : 0,
      distinct_values: e.distinct ?? 0,
      learned_at: learnedAt,
      ref_from: chTime(reference.from),
      ref_to: chTime(reference.to),
    })),
    'save feature edges',
  );
}

/** Learns the bins of some models' features over a reference window (queries/feature_edges.sql, feature_categories.sql). */
export type LearnEdges = (reference: TimeWindow, models: string[], features: string[]) => Promise<FeatureEdges[]>;

/**
 * The bins of `features` of `models`: the stored ones, and those not stored yet learned over `reference` and
 * saved (a feature with no value there gets none, and is learned again next time). Those just learned carry
 * `distinct` for a categorical feature, so the caller can say when the cap cut categories off.
 */
export async function featureEdgesOf(store: Store, config: Config, learn: LearnEdges, reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]> {
  if (features.length === 0) return [];
  const known = await loadFeatureEdges(store, config);
  const missing = models.flatMap((model) => features.filter((feature) => !known.some((e) => e.model === model && e.feature === feature)).map((feature) => ({ model, feature })));
  if (missing.length > 0) {
    const learned = await learn(reference, [...new Set(missing.map((m) => m.model))], [...new Set(missing.map((m) => m.feature))]);
    const fresh = learned.filter((e) => (e.edges.length > 0 || e.categories.length > 0) && missing.some((m) => m.model === e.model && m.feature === e.feature));
    await saveFeatureEdges(store, config, fresh, reference);
    known.push(...fresh);
  }
  return known.filter((e) => models.includes(e.model) && features.includes(e.feature));
}
