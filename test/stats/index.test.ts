import { describe, expect, it } from 'vitest';
import * as stats from '../../src/stats/index.js';

// Oracle: README, "Library" — the six contract functions, plus the aggregate helpers.
describe('stats exports', () => {
  it('exposes the README library functions and the aggregate helpers', () => {
    const names = [
      'psiFromCounts',
      'calibrationError',
      'twoProportionZTest',
      'wilsonInterval',
      'benjaminiHochberg',
      'aucWithDeLong',
      'psiNoiseFloor',
      'chiSquareHomogeneity',
      'calibrationFromBins',
      'calibrationBin',
      'calibrationTest',
      'aucWithDeLongFromHistogram',
      'histogramAuc',
      'unpairedAucTest',
      'spearmanCorrelation',
      'normalCdf',
      'normalQuantile',
      'twoSidedPValue',
      'chiSquareSurvival',
      'logMixtureRatio',
      'partialConjunction',
      'sharedCount',
      'scanForChange',
      'smoothedProportions',
      'welchMeanDifference',
    ];
    for (const name of names) expect(typeof (stats as Record<string, unknown>)[name], name).toBe('function');
    expect(Object.keys(stats).sort()).toEqual([...names].sort());
  });
});
