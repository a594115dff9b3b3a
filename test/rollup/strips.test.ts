// Five-minute strips of the raw pieces: which strips a cycle reads whole, which it keeps for later cycles, and the rest.
import { describe, expect, it } from 'vitest';
import { HOUR_MS, OPEN_END_MS } from '../../src/aggregates/pieces.js';
import { planStrips, STRIP_MS, stripPieces } from '../../src/rollup/strips.js';

const H = Date.UTC(2026, 10, 20, 10, 0, 0);
const m = (n: number) => H + n * 60_000;
const strips = (from: number, to: number) => Array.from({ length: (to - from) / 5 }, (_, i) => m(from + 5 * i));

describe('planStrips', () => {
  it('splits an edge piece into whole strips over by `at` and the bits at its ends', () => {
    // The reference ends at :26 (its last piece is [:00, :26)); the current window starts there; at = 11:26.
    const at = H + HOUR_MS + 26 * 60_000;
    const plan = planStrips([[{ from: H, to: m(26) }], [{ from: m(26), to: H + HOUR_MS }]], at);
    expect(plan.windows[0]).toEqual({ strips: strips(0, 25), rest: [{ from: m(25), to: m(26) }] });
    expect(plan.windows[1]).toEqual({ strips: strips(30, 60), rest: [{ from: m(26), to: m(30) }] });
    // The hour is complete: its strips are kept for later cycles, but for :25, which both rests overlap (its rows
    // are the rests' now); it is read when the edge has moved past it.
    expect(plan.wanted).toEqual([...strips(0, 25), ...strips(30, 60)]);
  });

  it('reads strips only once they are over by `at`, and wants no strip of an hour still going', () => {
    const at = m(17) + 500;
    const plan = planStrips([[{ from: m(2), to: at }]], at);
    expect(plan.windows[0]).toEqual({ strips: [m(5), m(10)], rest: [{ from: m(2), to: m(5) }, { from: m(15), to: at }] });
    expect(plan.wanted).toEqual([m(5), m(10)]);
  });

  it('keeps pieces longer than an hour, the open future and pieces with no whole strip whole', () => {
    const long = { from: H - 3 * HOUR_MS, to: H };
    const future = { from: m(10), to: OPEN_END_MS };
    const short = { from: m(1), to: m(4) };
    const plan = planStrips([[long], [future], [short]], H + 2 * HOUR_MS);
    expect(plan.windows.map((w) => w.rest)).toEqual([[long], [future], [short]]);
    expect(plan.windows.every((w) => w.strips.length === 0)).toBe(true);
    expect(plan.wanted).toEqual([]);
  });

  it('moves with the edge: each strip of the edge hour is a whole strip of its window in one cycle or another', () => {
    const seen = new Set<number>();
    for (let minute = 1; minute < 60; minute += 5) {
      const edge = m(minute);
      const plan = planStrips([[{ from: H, to: edge }], [{ from: edge, to: H + HOUR_MS }]], H + 2 * HOUR_MS);
      for (const w of plan.windows) for (const s of w.strips) seen.add(s);
      for (const s of plan.wanted) for (const w of plan.windows) for (const p of w.rest) expect(p.from >= s + STRIP_MS || p.to <= s).toBe(true);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(strips(0, 60));
  });
});

describe('stripPieces', () => {
  it('joins contiguous strips into one piece each run', () => {
    expect(stripPieces([m(10), m(0), m(5), m(30)])).toEqual([
      { from: m(0), to: m(15) },
      { from: m(30), to: m(35) },
    ]);
    expect(stripPieces([])).toEqual([]);
  });
});
