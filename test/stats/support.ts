// Test support for the statistics: oracle fixtures written by test/fixtures/stats/make_fixtures.py, tolerances, a seeded RNG.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { mulberry32 } from '../../src/synth/world.js';

/** Default tolerance against numpy/scipy: 1e-9 relative (README, "Library": "they agree with scipy to ≈1e-9"). */
export const REL = 1e-9;

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/stats/${name}.json`, import.meta.url), 'utf8')) as T;
}

/** |actual − expected| ≤ max(rel·|expected|, abs); abs covers expected values at or near 0. */
export function expectClose(actual: number, expected: number, rel = REL, abs = 0): void {
  const tolerance = Math.max(rel * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tolerance)) {
    expect.fail(`expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

/** Seeded uniform [0, 1) generator (mulberry32, the generator's own): simulations repeat exactly. */
export const seededRandom = mulberry32;

/** Standard normal draws by Box–Muller from a uniform generator. */
export function seededNormal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Counts per category of `n` draws from the probabilities `p` (a multinomial sample). */
export function multinomial(uniform: () => number, n: number, p: readonly number[]): number[] {
  const counts = p.map(() => 0);
  for (let draw = 0; draw < n; draw++) {
    let u = uniform();
    let k = 0;
    while (k < p.length - 1 && u >= p[k]!) u -= p[k++]!;
    counts[k]!++;
  }
  return counts;
}

/** The message of the RangeError `fn` throws; fails when it throws anything else or nothing. */
export function rangeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    return (error as RangeError).message;
  }
  return expect.fail('expected a RangeError');
}
