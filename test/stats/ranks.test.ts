import { describe, expect, it } from 'vitest';
import { midranks } from '../../src/stats/ranks.js';

// Oracle: midranks worked by hand (scipy.stats.rankdata(method='average') gives the same).
describe('midranks', () => {
  it('gives tied values the mean of the 1-based ranks they span, in input order', () => {
    expect(Array.from(midranks([3, 1, 3, 2, 3]))).toEqual([4, 1, 4, 2, 4]);
    expect(Array.from(midranks([0.5, 0.5]))).toEqual([1.5, 1.5]);
    expect(Array.from(midranks([]))).toEqual([]);
  });
});
