// A small hand-made data set: three issuers over a 7-day reference and a 24 h current window, with edge cases.
import { eventRow, outcomeRow, rng } from './rows.js';
import type { TempStore } from './store.js';

export const AT = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;

/**
 * BANK A/EU: scores shift down 10 % in the current window (calibrated); BANK B/NA: approvals halve in the
 * current window while scores stay (an outage); BANK C/EU: everything approved; GONE/APAC: reference only;
 * five bad scores (NaN, ±Inf, −0.2, 1.7) in BANK A's current window; ~2 % of outcomes never arrive.
 */
/** Reference: 7 days before the current day; current: the last 24 h. Three segments plus edge cases. */
export async function seedSmallFixture(store: TempStore): Promise<void> {
  const random = rng(42);
  const events: Record<string, unknown>[] = [];
  const outcomes: Record<string, unknown>[] = [];
  let id = 0;
  const add = (issuer: string, region: string, from: number, to: number, n: number, scoreOf: () => number, approveOf: (s: number) => number) => {
    for (let i = 0; i < n; i++) {
      const time = new Date(AT.getTime() - from + random() * (from - to));
      const score = scoreOf();
      const txn = `t${id++}`;
      events.push(eventRow({ time, id: txn, issuer, region, score }));
      // Outcomes arrive a minute later; a few never do.
      if (random() > 0.02) outcomes.push(outcomeRow(txn, new Date(time.getTime() + 60_000), approveOf(score)));
    }
  };
  const calibrated = (s: number) => (random() < s ? 1 : 0);
  const beta = () => Math.min(1, Math.max(0, 0.6 + 0.35 * random() ** 0.5));
  add('BANK A', 'EU', 8 * 24 * HOUR, 24 * HOUR, 3000, beta, calibrated);
  add('BANK A', 'EU', 24 * HOUR, 0, 800, () => beta() * 0.9, calibrated);
  add('BANK B', 'NA', 8 * 24 * HOUR, 24 * HOUR, 2000, () => random(), calibrated);
  add('BANK B', 'NA', 24 * HOUR, 0, 600, () => random(), (s) => (random() < s * 0.5 ? 1 : 0));
  // All approved, both windows.
  add('BANK C', 'EU', 8 * 24 * HOUR, 24 * HOUR, 900, () => 0.99, () => 1);
  add('BANK C', 'EU', 24 * HOUR, 0, 400, () => 0.99, () => 1);
  // Only in the reference window.
  add('GONE', 'APAC', 8 * 24 * HOUR, 24 * HOUR, 700, () => random(), calibrated);
  // Bad scores in the current window of BANK A: counted by quality, excluded from statistics.
  for (const score of [NaN, Infinity, -Infinity, -0.2, 1.7]) {
    events.push(eventRow({ time: new Date(AT.getTime() - 5 * HOUR), id: `bad${id++}`, issuer: 'BANK A', region: 'EU', score }));
  }
  await store.store.insert('scoring_events', events);
  await store.store.insert('outcomes', outcomes);
}

