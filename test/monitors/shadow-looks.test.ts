// The shadow verdict's critical value for a day of cycles: against scipy, and its false claims per day simulated.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dailyCriticalValue, dailyCrossing } from '../../src/monitors/shadow/looks.js';
import { normalQuantile } from '../../src/stats/index.js';
import { expectClose, seededNormal, seededRandom } from '../stats/support.js';

const CASES: [alpha: number, renewals: number][] = [[0.01, 1], [0.01, 4], [0.05, 1], [0.001, 96], [0.01, 0]];
const python = spawnSync('python3', ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0;

/** The root of Φ̄(c) + k·c·φ(c) = alpha above 1, by scipy's brentq on scipy's normal: an independent oracle. */
const ORACLE_PY = `
import json, sys
from scipy.optimize import brentq
from scipy.stats import norm
cases = json.loads(sys.argv[1])
print(json.dumps([brentq(lambda c: norm.sf(c) + k * c * norm.pdf(c) - a, 1, 40, xtol=1e-14) for a, k in cases]))
`;

describe('dailyCriticalValue', () => {
  it.skipIf(!python)('solves Φ̄(c) + renewals·c·φ(c) = alpha like scipy', () => {
    const run = spawnSync('python3', ['-c', ORACLE_PY, JSON.stringify(CASES)], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as number[];
    CASES.forEach(([alpha, renewals], i) => expectClose(dailyCriticalValue(alpha, renewals), expected[i]!, 1e-9));
    expectClose(dailyCriticalValue(0.01, 1), 3.136464, 1e-6);
  });

  it('is the one-look quantile for a window that does not slide, and grows with the renewals', () => {
    expectClose(dailyCriticalValue(0.01, 0), normalQuantile(0.99), 1e-9);
    expect(dailyCriticalValue(0.01, 4)).toBeGreaterThan(dailyCriticalValue(0.01, 1));
    expectClose(dailyCrossing(dailyCriticalValue(0.01, 96), 96), 0.01, 1e-9);
  });

  it('rejects alpha outside (0, ½] and bad renewals', () => {
    for (const alpha of [0, 0.6, NaN]) expect(() => dailyCriticalValue(alpha, 1)).toThrow(RangeError);
    for (const renewals of [-1, Infinity, NaN]) expect(() => dailyCriticalValue(0.01, renewals)).toThrow(RangeError);
  });

  it('keeps a clean verdict on a sliding day window to alpha false claims per day, five-minute looks included', () => {
    // A standardised statistic on a sliding window is a moving sum of independent increments (DeLong's z: the
    // per-transaction placements): 288 five-minute increments a window, a look every five minutes for a day.
    const normal = seededNormal(seededRandom(20261119));
    const strips = 288;
    const days = 4000;
    const perLook = normalQuantile(0.99);
    const daily = dailyCriticalValue(0.01, 1);
    let crossedPerLook = 0;
    let crossedDaily = 0;
    for (let day = 0; day < days; day++) {
      const steps = Array.from({ length: 2 * strips }, normal);
      let sum = steps.slice(0, strips).reduce((a, b) => a + b, 0);
      let top = -Infinity;
      for (let look = 0; look < strips; look++) {
        top = Math.max(top, sum / Math.sqrt(strips));
        sum += steps[look + strips]! - steps[look]!;
      }
      if (top > perLook) crossedPerLook++;
      if (top > daily) crossedDaily++;
    }
    // The per-look rule: about 7 % of clean days make a false claim (measured on the seeded store: 8 of 216 days
    // rejected a clean shadow). The day's critical value: at most alpha (0.9 % expected; 4,000 days, sd 0.15 %).
    expect(crossedPerLook / days).toBeGreaterThan(0.05);
    expect(crossedDaily / days).toBeLessThan(0.0125);
  });
});
