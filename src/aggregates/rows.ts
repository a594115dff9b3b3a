// Rows as the aggregate queries return them, mapped to the seam's types: shared by the raw and rollup sources.
import type { BinnedSegment, QualityCounts } from './types.js';

/** Events stamped further than this past `at` count as clock skew. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface BinRow {
  model: string;
  feature?: string;
  segment: string[];
  n_ref: number;
  n_cur: number;
  ref_bins: number[];
  cur_bins: number[];
}

export function toBinned(row: BinRow, feature: string): BinnedSegment {
  return {
    model: row.model,
    feature,
    segment: row.segment,
    nReference: Number(row.n_ref),
    nCurrent: Number(row.n_cur),
    referenceBins: row.ref_bins.map(Number),
    currentBins: row.cur_bins.map(Number),
  };
}

/** A quality row; mature events and missing outcomes come from the row unless the caller has them already. */
export function toQualityCounts(r: Record<string, number | string>, mature?: { events: number; missing: number }): QualityCounts {
  return {
    model: String(r.model),
    rows: Number(r.rows),
    nanScores: Number(r.nan_scores),
    infScores: Number(r.inf_scores),
    outOfRange: Number(r.out_of_range),
    duplicates: Number(r.duplicates),
    futureEvents: Number(r.future_events),
    referenceRows: Number(r.reference_rows),
    matureEvents: mature ? mature.events : Number(r.mature_events),
    missingOutcomes: mature ? mature.missing : Number(r.missing_outcomes),
  };
}
