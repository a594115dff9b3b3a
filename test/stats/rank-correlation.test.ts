import { describe, expect, it } from 'vitest';
import { spearmanCorrelation } from '../../src/stats/rank-correlation.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: scipy.stats.spearmanr (midranks for ties); tolerance 1e-9 relative.
const oracle = fixture<{ x: number[]; y: number[]; rho: number }[]>('spearman');

describe('spearmanCorrelation', () => {
  it('matches scipy.stats.spearmanr to 1e-9 relative, with and without ties', () => {
    for (const { x, y, rho } of oracle) expectClose(spearmanCorrelation(x, y), rho);
  });

  it('does not depend on the order the pairs are listed in when there are ties', () => {
    const { x, y } = oracle[2]!;
    expectClose(spearmanCorrelation([...x].reverse(), [...y].reverse()), spearmanCorrelation(x, y), 1e-14);
  });

  it('is NaN for a constant input, where ρ is undefined', () => {
    expect(spearmanCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('rejects length mismatch, fewer than 2 pairs and NaN', () => {
    expect(rangeErrorOf(() => spearmanCorrelation([1, 2], [1]))).toMatch(/same length/);
    expect(rangeErrorOf(() => spearmanCorrelation([1], [1]))).toMatch(/at least 2 pairs/);
    expect(rangeErrorOf(() => spearmanCorrelation([1, NaN], [1, 2]))).toMatch(/x\[1\] is NaN/);
  });
});
