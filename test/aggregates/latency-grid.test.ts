// The latency log grid: quantiles from per-cell counts within ½ % of the exact ones, and latencies outside it clamped.
import { describe, expect, it } from 'vitest';
import { LATENCY_CELLS, LATENCY_FROM_MS, LATENCY_STEP, latencyCellSql, latencyMidpoint, latencyQuantile } from '../../src/aggregates/latency-grid.js';
import { seededNormal, seededRandom } from '../stats/support.js';

/** The cell of a latency, as latencyCellSql computes it. */
const cellOf = (ms: number) => Math.min(LATENCY_CELLS - 1, Math.max(0, Math.floor(Math.log(Math.max(ms, LATENCY_FROM_MS) / LATENCY_FROM_MS) / Math.log(LATENCY_STEP))));

/** numpy's default (linear) quantile would interpolate; the grid's is the lower order statistic at ⌈q·n⌉. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

describe('latency grid', () => {
  it('reads p50 and p99 within ½ % of the exact order statistic, from 1 ms to 10 s', () => {
    const normal = seededNormal(seededRandom(3));
    for (const median of [1, 35, 400, 10_000]) {
      const values = Array.from({ length: 20_000 }, () => median * Math.exp(0.6 * normal())).sort((a, b) => a - b);
      const counts = new Map<number, number>();
      for (const v of values) counts.set(cellOf(v), (counts.get(cellOf(v)) ?? 0) + 1);
      for (const q of [0.5, 0.99]) {
        const grid = latencyQuantile([...counts.keys()], [...counts.values()], q);
        const exact = exactQuantile(values, q);
        expect(Math.abs(grid / exact - 1), `median ${median}, q ${q}`).toBeLessThanOrEqual(Math.sqrt(LATENCY_STEP) - 1 + 1e-12);
      }
    }
  });

  it('is NaN without counts, and clamps latencies outside the grid to its first and last cells', () => {
    expect(latencyQuantile([], [], 0.5)).toBeNaN();
    expect(cellOf(0)).toBe(0);
    expect(cellOf(1e9)).toBe(LATENCY_CELLS - 1);
    expect(latencyMidpoint(0)).toBeCloseTo(LATENCY_FROM_MS * Math.sqrt(LATENCY_STEP), 15);
    expect(latencyCellSql('latency_ms')).toContain(`log(${LATENCY_STEP})`);
  });
});
