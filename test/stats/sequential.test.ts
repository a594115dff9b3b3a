import { describe, expect, it } from 'vitest';
import { lnGamma, logMixtureRatio, scanForChange, smoothedProportions } from '../../src/stats/sequential.js';
import { expectClose, fixture, seededRandom } from './support.js';

// Oracle: sequential.json, scipy.special.gammaln (make_fixtures.py sequential); agreement to 1e-10 (absolute, in
// nats, or relative for the large counts). The martingale and simulation checks below need no oracle.
const cases = fixture<{ counts: number[]; p0: number[]; a: number; logRatio: number }[]>('sequential');

/** Draws of a Poisson(λ) count by inversion (λ small). */
function poisson(uniform: () => number, lambda: number): number {
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = uniform();
  while (u > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** One five-minute strip of a segment: [approved, declined] of Poisson(λ) transactions approved with probability p. */
function strip(uniform: () => number, lambda: number, p: number): number[] {
  const n = poisson(uniform, lambda);
  let approved = 0;
  for (let i = 0; i < n; i++) if (uniform() < p) approved++;
  return [approved, n - approved];
}

function lnBinomialPmf(n: number, x: number, p: number): number {
  return lnGamma(n + 1) - lnGamma(x + 1) - lnGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p);
}

describe('logMixtureRatio', () => {
  it('matches scipy (gammaln) to 1e-10 across K = 2, 3, 4 and 10, counts 0 to 10⁵ and a = ½, 1, 2', () => {
    expect(cases.length).toBeGreaterThan(9);
    for (const c of cases) expectClose(logMixtureRatio(c.counts, c.p0, c.a), c.logRatio, 1e-12, 1e-10);
  });

  it('has mean 1 under p0 at every sample size: Σ_x P0(x)·L(x) = 1 (the martingale property Ville’s inequality needs)', () => {
    for (const p of [0.86, 0.3, 0.02]) {
      for (const n of [1, 5, 40, 300]) {
        let mean = 0;
        for (let x = 0; x <= n; x++) mean += Math.exp(lnBinomialPmf(n, x, p) + logMixtureRatio([x, n - x], [p, 1 - p]));
        expectClose(mean, 1, 1e-9);
      }
    }
    // Three categories, n = 12: every composition.
    const p0 = [0.2, 0.5, 0.3];
    let mean = 0;
    for (let x = 0; x <= 12; x++) {
      for (let y = 0; x + y <= 12; y++) {
        const z = 12 - x - y;
        const lnMultinomial = lnGamma(13) - lnGamma(x + 1) - lnGamma(y + 1) - lnGamma(z + 1) + x * Math.log(0.2) + y * Math.log(0.5) + z * Math.log(0.3);
        mean += Math.exp(lnMultinomial + logMixtureRatio([x, y, z], p0));
      }
    }
    expectClose(mean, 1, 1e-9);
  });

  it('refuses counts and proportions that do not fit', () => {
    expect(() => logMixtureRatio([1, 2], [1])).toThrow(RangeError);
    expect(() => logMixtureRatio([1, -2], [0.5, 0.5])).toThrow(RangeError);
    expect(() => logMixtureRatio([1, 2], [0, 1])).toThrow(/p0/);
  });

  it('smooths reference counts so an empty category stays possible', () => {
    expect(smoothedProportions([9, 0])).toEqual([0.95, 0.05]);
  });
});

describe('scanForChange', () => {
  it('finds the span where the change starts and reports its counts', () => {
    const p0 = [0.86, 0.14];
    const strips = [...Array.from({ length: 20 }, () => [5, 1]), [1, 5], [2, 4], [1, 5]];
    const scan = scanForChange(strips, p0);
    expect(scan.strips).toBe(3);
    expect(scan.counts).toEqual([4, 14]);
    expectClose(scan.logRatio, logMixtureRatio([4, 14], p0), 1e-12);
    expectClose(scan.pValue, 23 * Math.exp(-scan.logRatio), 1e-12);
    expect(scanForChange(strips, p0, { starts: 1000 }).pValue).toBeCloseTo(1000 * Math.exp(-scan.logRatio), 12);
  });

  it('gives p = 1 without data and refuses fewer starts than strips', () => {
    expect(scanForChange([[0, 0], [0, 0]], [0.5, 0.5])).toMatchObject({ logRatio: 0, strips: 0, pValue: 1 });
    expect(() => scanForChange([[1, 1], [1, 1]], [0.5, 0.5], { starts: 1 })).toThrow(/starts/);
  });

  // Simulation: 600 clean segments looked at every strip for a day (288 looks, each scanning the last 72 strips, as
  // the approval monitor does), ~6 transactions a strip (70 an hour). With starts = H + S the chance that any look of
  // the day reaches p ≤ α is at most α; measured it is far below (Ville's bound is loose and the mixture pays its
  // regret), so the bound holds with room for Monte Carlo error.
  it('keeps the chance of any false alarm over a horizon of looks below α on clean traffic', () => {
    const uniform = seededRandom(16);
    const lookback = 72;
    const looks = 288;
    const alpha = 0.05;
    const segments = 600;
    let alarmed = 0;
    for (let s = 0; s < segments; s++) {
      const p = 0.6 + 0.35 * uniform();
      const history: number[][] = [];
      for (let i = 0; i < lookback + looks; i++) history.push(strip(uniform, 6, p));
      for (let look = 0; look < looks; look++) {
        const scan = scanForChange(history.slice(look, look + lookback), [p, 1 - p], { starts: looks + lookback });
        if (scan.pValue <= alpha) {
          alarmed++;
          break;
        }
      }
    }
    // Bound: α = 5 % of segments, i.e. 30; binomial sd at 5 % is 5.3.
    expect(alarmed / segments).toBeLessThanOrEqual(alpha);
  }, 60_000);

  it('holds α over ten score bins too, with the bins\' shares estimated from a reference 28 times the lookback', () => {
    // The score drift's test: ten reference deciles, p0 from a finite reference (as a cycle has it), not the truth.
    const uniform = seededRandom(23);
    const lookback = 72;
    const looks = 288;
    const alpha = 0.05;
    const segments = 200;
    const decile = () => Math.min(9, Math.floor(uniform() * 10));
    const strip10 = (n: number) => {
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < n; i++) {
        const d = decile();
        counts[d] = (counts[d] as number) + 1;
      }
      return counts;
    };
    let alarmed = 0;
    for (let s = 0; s < segments; s++) {
      const p0 = smoothedProportions(strip10(28 * lookback * 6));
      const history: number[][] = [];
      for (let i = 0; i < lookback + looks; i++) history.push(strip10(6));
      for (let look = 0; look < looks; look++) {
        if (scanForChange(history.slice(look, look + lookback), p0, { starts: looks + lookback }).pValue <= alpha) {
          alarmed++;
          break;
        }
      }
    }
    expect(alarmed / segments).toBeLessThanOrEqual(alpha);
  }, 120_000);

  // Power: an outage cuts approvals from 86 % to 26 % at ~6 transactions a strip. Judged at a quarter's horizon
  // (25,920 strips) and α = 0.01/3,000 (the Benjamini–Hochberg level of a lone finding among 3,000 tests of a cycle):
  // threshold ln((25,920 + 72)/α) = 22.8 nats; at ≈ 0.92 nats a transaction (the Kullback–Leibler divergence of
  // 26 % from 86 %) plus the mixture's regret, about 28 transactions, i.e. about 5 strips.
  it('finds a 70-an-hour issuer’s outage within 30 minutes at a quarter’s false-alarm horizon', () => {
    const uniform = seededRandom(7);
    const delays: number[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const history: number[][] = Array.from({ length: 72 }, () => strip(uniform, 6, 0.86));
      let delay = 0;
      for (;;) {
        history.push(strip(uniform, 6, 0.26));
        history.shift();
        delay++;
        const scan = scanForChange(history, [0.86, 0.14], { starts: 25_920 + 72 });
        if (scan.pValue <= 0.01 / 3000 || delay > 72) break;
      }
      delays.push(delay);
    }
    delays.sort((x, y) => x - y);
    expect(delays[100]).toBeLessThanOrEqual(6);
    expect(delays[190]).toBeLessThanOrEqual(8);
  });
});
