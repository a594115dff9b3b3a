// The series cap: which segments keep a series on /metrics when there are more than maxSeries.
import type { Severity } from '../../core/types.js';

export type Labels = Record<string, string>;

export interface Series {
  labels: Labels;
  value: number;
}

/** The series one evaluation (or one shadow verdict) contributes to one metric, with what ranks it. */
export interface Candidate {
  severity?: Severity;
  /** Volume behind the value (nCurrent): among equally severe segments the larger ones are kept. */
  volume: number;
  series: Series[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, ok: 2 };

/**
 * Keeps at most `maxSeries` series: alerting candidates first (critical, then warning),
 * then the largest by volume, ties in input order. A candidate's series are kept or
 * dropped together, so a segment never shows its current approval rate without the reference. `droppedAlerting`
 * counts the dropped series of segments at warning or critical.
 */
export function selectSeries(candidates: readonly Candidate[], maxSeries: number): { kept: Series[]; dropped: number; droppedAlerting: number } {
  const ranked = candidates
    .map((candidate, index) => ({ candidate, index }))
    .sort((a, b) => rank(a.candidate) - rank(b.candidate) || volume(b.candidate) - volume(a.candidate) || a.index - b.index);
  const kept: Series[] = [];
  let dropped = 0;
  let droppedAlerting = 0;
  for (const { candidate } of ranked) {
    if (kept.length + candidate.series.length <= maxSeries) kept.push(...candidate.series);
    else {
      dropped += candidate.series.length;
      if (rank(candidate) < SEVERITY_RANK.ok) droppedAlerting += candidate.series.length;
    }
  }
  return { kept, dropped, droppedAlerting };
}

function rank(candidate: Candidate): number {
  return SEVERITY_RANK[candidate.severity ?? 'ok'] ?? 2;
}

function volume(candidate: Candidate): number {
  return Number.isFinite(candidate.volume) ? candidate.volume : 0;
}
