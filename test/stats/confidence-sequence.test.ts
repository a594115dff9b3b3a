import { describe, expect, it } from 'vitest';
import { liftConfidenceSequence, sampleRatioTest, type ProportionCounts } from '../../src/stats/confidence-sequence.js';
import { expectClose, fixture, seededRandom } from './support.js';

// Oracle: experiments.json (make_fixtures.py experiments): the mixture ratio integrated numerically by scipy's quad
// and its 1/α crossings found by brentq, not the closed form; SRM by scipy.stats.chisquare and gammaln. Agreement:
// 1e-9 relative on the bounds and p-values (the integral's own accuracy is ~1e-12).
interface LiftCase {
  control: ProportionCounts;
  treatment: ProportionCounts;
  alpha: number;
  tau: number;
  lift: number;
  variance: number;
  lo: number;
  hi: number;
  pValue: number;
}
const oracle = fixture<{ lift: LiftCase[]; srm: { counts: number[]; weights: number[]; chiSquare: number; chiSquarePValue: number; pValue: number }[] }>('experiments');

/** Approved of `n` draws at rate `p`. */
function binomial(uniform: () => number, n: number, p: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) if (uniform() < p) x++;
  return x;
}

/**
 * Experiments with equal arms (no lift), `looks` cycles of `batch` labeled transactions per arm each, looked at every
 * cycle: the share in which some look has the interval above 0 (a false ship) or below 0 (a false rollback).
 */
function peekEveryCycle(runs: number, looks: number, batch: number, rate: number, alpha: number, seed: number, naive = false): { ship: number; rollback: number } {
  const uniform = seededRandom(seed);
  let ship = 0;
  let rollback = 0;
  for (let run = 0; run < runs; run++) {
    const c = { x: 0, n: 0 };
    const t = { x: 0, n: 0 };
    let shipped = false;
    let rolled = false;
    for (let look = 0; look < looks && !shipped && !rolled; look++) {
      c.x += binomial(uniform, batch, rate);
      c.n += batch;
      t.x += binomial(uniform, batch, rate);
      t.n += batch;
      const s = liftConfidenceSequence(c, t, { alpha, tau: 0.02 });
      // The fixed-horizon 95 % interval a notebook would peek at, for contrast.
      const half = naive ? 1.959964 * Math.sqrt(s.variance) : s.hi - s.lift;
      if (s.lift - half > 0) shipped = true;
      if (s.lift + half < 0) rolled = true;
    }
    if (shipped) ship++;
    if (rolled) rollback++;
  }
  return { ship: ship / runs, rollback: rollback / runs };
}

describe('liftConfidenceSequence', () => {
  it('matches the numerically integrated mixture (scipy quad + brentq) to 1e-9', () => {
    expect(oracle.lift.length).toBeGreaterThan(5);
    for (const c of oracle.lift) {
      const s = liftConfidenceSequence(c.control, c.treatment, { alpha: c.alpha, tau: c.tau });
      expectClose(s.lift, c.lift, 1e-12, 1e-15);
      expectClose(s.variance, c.variance, 1e-12);
      expectClose(s.lo, c.lo, 1e-9, 1e-12);
      expectClose(s.hi, c.hi, 1e-9, 1e-12);
      expectClose(s.pValue, c.pValue, 1e-9, 1e-15);
    }
  });

  it('keeps the false-ship rate at or below α/2 when looked at every cycle (400 null experiments, 288 looks each)', () => {
    // α = 0.05: a ship needs the interval above 0, one side of a two-sided sequence at α, hence ≤ α/2 = 2.5 %.
    const sequential = peekEveryCycle(400, 288, 60, 0.86, 0.05, 11);
    // Binomial margin: 2.5 % of 400 is 10 expected at the bound; 3.75 % (15) is ~1.6 sd above it.
    expect(sequential.ship).toBeLessThanOrEqual(0.0375);
    expect(sequential.rollback).toBeLessThanOrEqual(0.0375);
    // The fixed-horizon interval peeked at as often ships a null treatment far more often: why the sequence is used.
    const naive = peekEveryCycle(400, 288, 60, 0.86, 0.05, 11, true);
    expect(naive.ship).toBeGreaterThan(4 * Math.max(sequential.ship, 0.01));
  });

  it('finds a 4 pp lift on a few thousand labeled transactions per arm, and its interval covers the truth', () => {
    const uniform = seededRandom(5);
    const c = { x: binomial(uniform, 5000, 0.84), n: 5000 };
    const t = { x: binomial(uniform, 5000, 0.88), n: 5000 };
    const s = liftConfidenceSequence(c, t, { alpha: 0.05, tau: 0.02 });
    expect(s.lo).toBeGreaterThan(0);
    expect(s.lo).toBeLessThan(0.04);
    expect(s.hi).toBeGreaterThan(0.04);
  });

  it('rejects counts that are not counts', () => {
    expect(() => liftConfidenceSequence({ x: 5, n: 4 }, { x: 1, n: 2 }, { alpha: 0.05, tau: 0.02 })).toThrow(RangeError);
    expect(() => liftConfidenceSequence({ x: 1, n: 0 }, { x: 1, n: 2 }, { alpha: 0.05, tau: 0.02 })).toThrow(/n > 0/);
    expect(() => liftConfidenceSequence({ x: 1, n: 2 }, { x: 1, n: 2 }, { alpha: 1.5, tau: 0.02 })).toThrow(/alpha/);
  });
});

describe('sampleRatioTest', () => {
  it('matches scipy.stats.chisquare and the Dirichlet mixture (gammaln) to 1e-9', () => {
    for (const c of oracle.srm) {
      const r = sampleRatioTest(c.counts, c.weights);
      expectClose(r.chiSquare, c.chiSquare, 1e-12, 1e-15);
      expectClose(r.chiSquarePValue, c.chiSquarePValue, 1e-9, 1e-300);
      expectClose(r.pValue, c.pValue, 1e-9, 1e-300);
    }
  });

  it('flags 45/55 against a declared 50/50 and passes a fair split', () => {
    expect(sampleRatioTest([4500, 5500], [50, 50]).pValue).toBeLessThan(1e-10);
    expect(sampleRatioTest([5020, 4980], [50, 50]).pValue).toBe(1);
  });
});
