// How a feature's value finds its PSI bin, written once for the raw read and the features rollup's fold and read.
import type { FeatureEdges } from './types.js';

/**
 * SQL over a row of `{{events}}` ARRAY JOINed with one stored binning, whose `feature`, `edges` and
 * `feature_categories` are in scope (README, "How findings are judged", PSI bins):
 * - `{{feature_present}}`: the row has a value to bin (a finite map value; a categorical column's value, not NULL);
 * - `{{feature_bin}}`: a numeric value's bin is the number of edges ≤ it; a category's is its 1-based place in the
 *   stored list, 0 ("other") for a value not in it, never-seen ones included (indexOf's 0);
 * - `{{feature_bin_count}}`: how many bins the binning has.
 * A binning with categories is categorical; with none, numeric.
 */
const FEATURE_SQL: Record<string, string> = {
  feature_present: 'if(empty(feature_categories), mapContains(features, feature) AND isFinite(features[feature]), mapContains(categories, feature))',
  feature_bin: 'if(empty(feature_categories), arrayCount(e -> e <= features[feature], edges), indexOf(feature_categories, categories[feature]))',
  feature_bin_count: '(if(empty(feature_categories), length(edges), length(feature_categories)) + 1)',
};

export function expandFeatureBins(text: string): string {
  return text.replace(/\{\{(feature_present|feature_bin|feature_bin_count)\}\}/g, (_m, key: string) => `(${FEATURE_SQL[key] as string})`);
}

/** The stored binnings as the parallel array parameters the feature queries take. */
export function featureBinParams(edges: readonly FeatureEdges[]): { edge_models: string[]; edge_features: string[]; edges: number[][]; categories: string[][] } {
  return {
    edge_models: edges.map((e) => e.model),
    edge_features: edges.map((e) => e.feature),
    edges: edges.map((e) => e.edges),
    categories: edges.map((e) => e.categories),
  };
}
