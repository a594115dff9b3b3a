// Approval-rate changes week over week per segment: two-proportion z-tests under one Benjamini–Hochberg FDR.
import { benjaminiHochberg, twoProportionZTest } from '../stats/index.js';
import type { SegmentCounts } from './traffic.js';
import type { RateChange, RateCounts } from './types.js';

export interface CompareOptions {
  /** Segments below this many labeled events in either week are shown but not tested. */
  minVolume: number;
  /** False-discovery rate of the family (the segments of one table). */
  fdr: number;
}

const rateOf = (c: SegmentCounts | undefined): RateCounts => {
  const events = c?.events ?? 0;
  const labeled = c?.labeled ?? 0;
  const approved = c?.approved ?? 0;
  return { events, labeled, approved, rate: labeled > 0 ? approved / labeled : NaN };
};

/**
 * Pairs each model × segment's two weeks and tests the change. Every tested segment is one hypothesis
 * of the family, so the q-values hold the FDR however many issuers a table has.
 */
export function compareWeeks(rows: readonly SegmentCounts[], options: CompareOptions): RateChange[] {
  const pairs = new Map<string, { model: string; segment: Record<string, string>; current?: SegmentCounts; previous?: SegmentCounts }>();
  for (const row of rows) {
    const k = [row.model, ...Object.entries(row.segment).flat()].join('\u0000');
    const pair = pairs.get(k) ?? { model: row.model, segment: row.segment };
    pair[row.week] = row;
    pairs.set(k, pair);
  }
  const changes: RateChange[] = [...pairs.values()].map(({ model, segment, current, previous }) => {
    const cur = rateOf(current);
    const prev = rateOf(previous);
    const tested = cur.labeled >= options.minVolume && prev.labeled >= options.minVolume;
    const pValue = tested ? twoProportionZTest(cur.approved, cur.labeled, prev.approved, prev.labeled).pValue : NaN;
    return { model, segment, current: cur, previous: prev, delta: cur.rate - prev.rate, pValue, qValue: NaN, significant: false };
  });
  const tested = changes.filter((c) => Number.isFinite(c.pValue));
  if (tested.length > 0) {
    const { adjusted, rejected } = benjaminiHochberg(
      tested.map((c) => c.pValue),
      options.fdr,
    );
    tested.forEach((c, i) => {
      c.qValue = adjusted[i] ?? NaN;
      c.significant = rejected[i] ?? false;
    });
  }
  return changes;
}

/**
 * The issuers a reader should look at: significant changes by size, then — only when fewer than
 * `fill` are significant — the largest insignificant changes among the tested ones, so a
 * quiet week still shows what moved most while saying it is noise.
 */
export function topMovers(changes: readonly RateChange[], limit = 10, fill = 5): RateChange[] {
  const bySize = (a: RateChange, b: RateChange) => Math.abs(b.delta) - Math.abs(a.delta) || b.current.labeled - a.current.labeled;
  const significant = changes.filter((c) => c.significant).sort(bySize);
  if (significant.length >= fill) return significant.slice(0, limit);
  const rest = changes.filter((c) => !c.significant && Number.isFinite(c.pValue)).sort(bySize);
  return [...significant, ...rest.slice(0, fill - significant.length)];
}
