// Five-minute strips of the raw pieces: which strips a cycle reads whole, which it keeps for later cycles, and the rest.
import { describe, expect, it } from 'vitest';
import { HOUR_MS, OPEN_END_MS } from '../../src/aggregates/pieces.js';
import { parseConfig } from '../../src/config/index.js';
import { disjointRest, planStrips, readStrips, STRIP_MS, StripCache, stripPieces, type StripRead, type StripRow } from '../../src/rollup/strips.js';
import type { Store } from '../../src/store/index.js';

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

  it('cuts a piece across one hour boundary there: a one-hour window off the hour reads strips, not an hour of rows', () => {
    // The 1h window at 11:18 is [10:18, 11:18): no whole hour in it, so all of it is raw.
    const at = H + HOUR_MS + 18 * 60_000;
    const plan = planStrips([[{ from: m(18), to: at }]], at);
    expect(plan.windows[0]).toEqual({ strips: [...strips(20, 60), ...strips(60, 75)], rest: [{ from: m(18), to: m(20) }, { from: m(75), to: at }] });
    // 10:00 is complete: all its strips are kept but for :15, which the rest [:18, :20) overlaps.
    expect(plan.wanted).toEqual([...strips(0, 15), ...strips(20, 75)]);
    // Two boundaries: as before, one piece.
    const long = { from: m(18), to: H + 2 * HOUR_MS + 60_000 };
    expect(planStrips([[long]], H + 3 * HOUR_MS).windows[0]).toEqual({ strips: [], rest: [long] });
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

describe('a window set (current windows overlap)', () => {
  it("reads a strip another window's rest covers from that rest, for both windows, and wants it later", () => {
    // 15m and a longer window ending at :18, whose hours are not folded yet (one piece of three hours and more).
    const at = m(18);
    const plan = planStrips([[{ from: m(3), to: at }], [{ from: H - 3 * HOUR_MS, to: at }]], at);
    expect(plan.windows[0]?.strips).toEqual([]);
    expect(plan.wanted).toEqual([]);
    expect(plan.rest).toEqual([
      { from: H - 3 * HOUR_MS, to: m(3), windows: [1] },
      { from: m(3), to: at, windows: [0, 1] },
    ]);
  });

  it('shares the strips both windows hold whole, and the rest both end in', () => {
    const at = m(18);
    const plan = planStrips([[{ from: m(3), to: at }], [{ from: H, to: at }]], at);
    expect(plan.windows[0]).toEqual({ strips: [m(5), m(10)], rest: [{ from: m(3), to: m(5) }, { from: m(15), to: at }] });
    // The longer window's first strip holds the shorter one's start: read as rest pieces, each added to its windows.
    expect(plan.windows[1]).toEqual({ strips: [m(5), m(10)], rest: [{ from: m(15), to: at }, { from: m(0), to: m(5) }] });
    expect(plan.rest).toEqual([
      { from: m(0), to: m(3), windows: [1] },
      { from: m(3), to: m(5), windows: [0, 1] },
      { from: m(15), to: at, windows: [0, 1] },
    ]);
    expect(plan.wanted).toEqual([m(5), m(10)]);
  });

  it('cuts the rests into pieces that hold every instant of any rest once, with exactly the windows holding it', () => {
    let state = 7;
    const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const rest = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        Array.from({ length: Math.floor(random() * 3) }, () => {
          const from = Math.floor(random() * 60);
          return { from, to: from + 1 + Math.floor(random() * 20) };
        }),
      );
      const pieces = disjointRest(rest);
      for (let t = 0; t < 90; t += 0.5) {
        const holding = pieces.filter((p) => p.from <= t && t < p.to);
        const windows = rest.flatMap((list, w) => (list.some((p) => p.from <= t && t < p.to) ? [w] : []));
        expect(holding.length).toBe(windows.length > 0 ? 1 : 0);
        if (windows.length > 0) expect(holding[0]?.windows).toEqual(windows);
      }
    }
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

describe("a cycle's rest pieces", () => {
  // No store is needed: no outcome parts (labelsAt unset), and the query is the test's own.
  const config = parseConfig({});
  const store = undefined as unknown as Store;
  const reads: { strips: number; rest: { from: number; to: number }[] }[] = [];
  const read = (cache: StripCache, cycle: number, pieces: StripRead['pieces']): StripRead => ({
    cache,
    cycle,
    pieces,
    at: m(18),
    parts: async () => [],
    query: async (strips, rest) => {
      reads.push({ strips: strips.length, rest });
      // One row per rest piece, its value the piece's start, so a row taken from another read shows where it came from.
      return rest.map((p, i): StripRow => ({ slot: -(i + 1), key: 'k', model: 'm', segment: [], values: [p.from] }));
    },
  });

  it('are read once per cycle: a second read whose windows end in the same pieces takes their rows, each at its own slot', async () => {
    reads.length = 0;
    const cache = new StripCache();
    // The labels question's windows (15m and 1h) and the performance question's (1h only), at 10:18.
    const labels = await readStrips(store, config, read(cache, 1, [[{ from: m(3), to: m(18) }], [{ from: H - 42 * 60_000, to: m(18) }]]));
    const performance = await readStrips(store, config, read(cache, 1, [[{ from: H - 42 * 60_000, to: m(18) }]]));
    // The second read asks for no rest piece (only strips the first did not want: a rest of its other window covered them).
    expect(reads.map((r) => r.rest.length)).toEqual([4, 0]);
    // Its rests ([9:18, 9:20), [10:15, 10:18)) come from the first read's rows, as the labels read's 1h window had them.
    const byWindow = (deltas: typeof labels, w: number) => deltas.filter((d) => d.window === w).map((d) => d.values[0]);
    expect(byWindow(performance, 0)).toEqual([H - 42 * 60_000, m(15)]);
    expect(byWindow(labels, 1)).toEqual(expect.arrayContaining([H - 42 * 60_000, m(15)]));
    // The next cycle reads them again (new rows may have landed).
    await readStrips(store, config, read(cache, 2, [[{ from: H - 42 * 60_000, to: m(18) }]]));
    expect(reads[2]?.rest.length).toBeGreaterThan(0);
  });
});
