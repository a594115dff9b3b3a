// Window plans (folded hours vs raw pieces), fold chunks, running window sums and the state keeping them, without a store.
import { describe, expect, it } from 'vitest';
import { HOUR_MS, OPEN_END_MS } from '../../src/aggregates/pieces.js';
import { hourRuns, planRange } from '../../src/rollup/plan.js';
import { RollupState } from '../../src/rollup/state.js';
import { RowsGone, WindowSums, type SumsChange, type SumsDelta } from '../../src/rollup/window-sums.js';

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const h = (n: number) => T0 + n * HOUR_MS;

describe('planRange', () => {
  it('reads folded full hours from the rollup and the partial edges raw', () => {
    const plan = planRange(h(1) - 26 * 60_000, h(5) + 34 * 60_000, new Set([h(1), h(2), h(3), h(4)]));
    expect(plan.hours).toEqual([h(1), h(2), h(3), h(4)]);
    expect(plan.raw).toEqual([
      { from: h(1) - 26 * 60_000, to: h(1) },
      { from: h(5), to: h(5) + 34 * 60_000 },
    ]);
  });

  it('reads unfolded hours raw, merging neighbours, and stops walking after the last folded hour', () => {
    const plan = planRange(h(0), OPEN_END_MS, new Set([h(0), h(2)]));
    expect(plan.hours).toEqual([h(0), h(2)]);
    expect(plan.raw).toEqual([
      { from: h(1), to: h(2) },
      { from: h(3), to: OPEN_END_MS },
    ]);
  });

  it('reads a window inside one hour raw', () => {
    expect(planRange(h(0) + 60_000, h(0) + 120_000, new Set([h(0)]))).toMatchObject({ hours: [], raw: [{ from: h(0) + 60_000, to: h(0) + 120_000 }] });
  });
});

describe('hourRuns', () => {
  it('chunks contiguous hours, at most maxHours long, never across midnight', () => {
    const runs = hourRuns([h(-2), h(-1), h(0), h(1), h(2), h(5)], 2);
    expect(runs).toEqual([
      { from: h(-2), to: h(0) },
      { from: h(0), to: h(2) },
      { from: h(2), to: h(3) },
      { from: h(5), to: h(6) },
    ]);
  });
});

describe('WindowSums', () => {
  /** A fake rollup: (hour, version) → value; a window's sum is the sum of its hours' values at their versions. */
  const value = (hour: number, version = 1) => ((hour - T0) / HOUR_MS + 1) * version;
  const load = (loads: SumsChange[], gone = false) => async (change: SumsChange): Promise<SumsDelta[]> => {
    loads.push(change);
    if (gone && change.held.length > 0) throw new RowsGone(change.held.length);
    const delta = (hours: number[], window: number, versions: Map<number, number>, sign: number) =>
      hours.map((hour) => ({ key: 'k', model: 'm', segment: [], window, values: [sign * value(hour, versions.get(hour))] }));
    return [...change.add.flatMap((hours, w) => delta(hours, w, change.addVersions, 1)), ...change.sub.flatMap((hours, w) => delta(hours, w, change.subVersions, -1))];
  };
  const hours = (from: number, to: number, version = 1) => new Map(Array.from({ length: to - from }, (_, i) => [h(from + i), version]));
  const sum = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => value(h(from + i))).reduce((a, b) => a + b, 0);
  /** A window's vector, after checking the total the sums keep for it is the vector's sum. */
  const windowSum = (sums: WindowSums, w: number) => {
    const entry = sums.sums.get('k');
    const vector = [...(entry?.windows[w] ?? [])];
    expect(entry?.totals[w]).toBe(vector.reduce((a, b) => a + b, 0));
    return vector;
  };

  it('moves with the windows by reading only the hours that entered or left', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(2, 1);
    await sums.update([hours(0, 10), hours(10, 14)], load(loads), [{ from: h(0), to: h(10) }, { from: h(10), to: h(14) }]);
    await sums.update([hours(1, 11), hours(11, 15)], load(loads), [{ from: h(1), to: h(11) }, { from: h(11), to: h(15) }]);
    expect(loads[1]?.add).toEqual([[h(10)], [h(14)]]);
    expect(loads[1]?.sub).toEqual([[h(0)], [h(10)]]);
    // h(0) left every window at its current version (its rows may have been swept since): checked; h(10) is current.
    expect(loads[1]?.held).toEqual([[h(0), 1]]);
    expect(windowSum(sums, 0)).toEqual([sum(1, 11)]);
    expect(windowSum(sums, 1)).toEqual([sum(11, 15)]);
  });

  it('rebuilds when an hour leaves the folded set while still inside its window (a rebuild under way)', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(2, 1);
    const spans = [
      { from: h(0), to: h(4) },
      { from: h(4), to: h(6) },
    ];
    await sums.update([hours(0, 4), hours(4, 6)], load(loads), spans);
    await sums.update([hours(1, 4), hours(4, 6)], load(loads), spans);
    expect(loads[1]?.sub.flat()).toEqual([]);
    expect(windowSum(sums, 0)).toEqual([sum(1, 4)]);
  });

  it('takes an hour folded again away at the version it holds and adds it at the new one', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(2, 1);
    await sums.update([hours(0, 4), hours(4, 6)], load(loads));
    const refolded = hours(0, 4);
    refolded.set(h(2), 3);
    await sums.update([refolded, hours(4, 6)], load(loads));
    expect(loads[1]?.add).toEqual([[h(2)], []]);
    expect(loads[1]?.sub).toEqual([[h(2)], []]);
    expect([...(loads[1]?.addVersions ?? [])]).toEqual([[h(2), 3]]);
    expect(loads[1]?.held).toEqual([[h(2), 1]]);
    expect(windowSum(sums, 0)).toEqual([sum(0, 4) - value(h(2)) + value(h(2), 3)]);
  });

  it('takes an hour folded again while it moves between windows away at its old version and adds it at the new one', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(2, 1);
    const spans = (from: number) => [
      { from: h(from), to: h(from + 4) },
      { from: h(from + 4), to: h(from + 6) },
    ];
    await sums.update([hours(0, 4), hours(4, 6)], load(loads), spans(0));
    // An hour later h(4) moves from the second window to the first, folded again on the way.
    const first = hours(1, 5);
    first.set(h(4), 2);
    await sums.update([first, hours(5, 7)], load(loads), spans(1));
    expect(loads[1]?.add).toEqual([[h(4)], [h(6)]]);
    expect(loads[1]?.sub).toEqual([[h(0)], [h(4)]]);
    expect(windowSum(sums, 0)).toEqual([sum(1, 4) + value(h(4), 2)]);
    expect(windowSum(sums, 1)).toEqual([sum(5, 7)]);
  });

  it('rebuilds when the rows of a version it holds are gone (swept, or rebuilt elsewhere)', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(2, 1);
    await sums.update([hours(0, 4), hours(4, 6)], load(loads));
    const refolded = hours(0, 4);
    refolded.set(h(2), 3);
    await sums.update([refolded, hours(4, 6)], load(loads, true));
    expect(loads).toHaveLength(3);
    expect(loads[2]?.add[0]).toHaveLength(4);
    expect(loads[2]?.held).toEqual([]);
    expect(windowSum(sums, 0)).toEqual([sum(0, 4) - value(h(2)) + value(h(2), 3)]);
    expect(windowSum(sums, 1)).toEqual([sum(4, 6)]);
  });

  it('keeps what it held when a load fails, and applies the same change next time', async () => {
    const loads: SumsChange[] = [];
    const sums = new WindowSums(1, 1);
    await sums.update([hours(0, 4)], load(loads));
    const span = [{ from: h(1), to: h(5) }];
    await expect(sums.update([hours(1, 5)], async () => Promise.reject(new Error('store down')), span)).rejects.toThrow('store down');
    expect(windowSum(sums, 0)).toEqual([sum(0, 4)]);
    await sums.update([hours(1, 5)], load(loads), span);
    expect(loads[1]?.add).toEqual([[h(4)]]);
    expect(windowSum(sums, 0)).toEqual([sum(1, 5)]);
  });
});

describe('RollupState', () => {
  const target = (from: number, to: number) => [new Map(Array.from({ length: to - from }, (_, i) => [h(from + i), 1])), new Map<number, number>()];
  const follow = async (sums: WindowSums, hours: Map<number, number>[]) => sums.update(hours, async () => []);

  it('keeps one running sums per window a question is asked for, and hands each back to the window it follows', async () => {
    const state = new RollupState();
    state.beginCycle();
    const day = state.windowSums('q', 1, target(0, 24));
    await follow(day, target(0, 24));
    const week = state.windowSums('q', 1, target(0, 168));
    expect(week).not.toBe(day);
    await follow(week, target(0, 168));
    state.beginCycle();
    // An hour later each window finds its own sums again.
    expect(state.windowSums('q', 1, target(1, 25))).toBe(day);
    expect(state.windowSums('q', 1, target(1, 169))).toBe(week);
  });

  it('drops the sums and strips of questions no read used in the last cycle', async () => {
    const state = new RollupState();
    state.beginCycle();
    const sums = state.windowSums('old', 1, target(0, 2));
    await follow(sums, target(0, 2));
    const strips = state.stripCache('old');
    state.beginCycle();
    expect(state.windowSums('old', 1, target(0, 2))).toBe(sums);
    expect(state.stripCache('old')).toBe(strips);
    state.beginCycle();
    state.beginCycle();
    expect(state.windowSums('old', 1, target(0, 2))).not.toBe(sums);
    expect(state.stripCache('old')).not.toBe(strips);
  });

  it('hands out fold versions that only increase', () => {
    const state = new RollupState();
    const versions = Array.from({ length: 1000 }, () => state.nextVersion());
    expect(versions.every((v, i) => i === 0 || v > (versions[i - 1] as number))).toBe(true);
  });
});
