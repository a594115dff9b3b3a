// Calibration bins [k/B, (k+1)/B) by comparison with the edges k/B (the doubles `k / B`), in TypeScript and in SQL
// alike: scores at every edge and one ulp either side, a decimal sweep and random scores, for several B.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { calibrationBinSql, expandCalibrationBins } from '../../src/aggregates/calibration-bins.js';
import { querySql } from '../../src/aggregates/sql.js';
import { resolveWindows } from '../../src/core/windows.js';
import { refreshRollup, RollupState } from '../../src/rollup/index.js';
import { ensureTables } from '../../src/setup.js';
import { calibrationBin, calibrationError } from '../../src/stats/calibration.js';
import { packageRoot, queryText } from '../../src/store/index.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const BINS = [7, 10, 20, 100, 1000] as const;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The bit pattern of a double, as a decimal string (what the SQL side reinterprets). */
function bitsOf(x: number): string {
  f64[0] = x;
  return u64[0]!.toString();
}

/** The neighbouring double of a non-negative finite x, one ulp up (+1) or down (−1). */
function step(x: number, direction: 1 | -1): number {
  f64[0] = x;
  u64[0] = u64[0]! + BigInt(direction);
  return f64[0];
}

/** Every edge k/B of every B, and one ulp either side, inside [0, 1]. */
function edgeScores(): number[] {
  const out: number[] = [];
  for (const b of BINS) {
    for (let k = 0; k <= b; k++) {
      const edge = k / b;
      out.push(edge);
      if (edge < 1) out.push(step(edge, 1));
      if (edge > 0) out.push(step(edge, -1));
    }
  }
  return out;
}

/** Edges and their neighbours, the decimals i/10⁴ (0.57 among them), and random scores: the same set for every B. */
const SCORES: number[] = (() => {
  const random = rng(16);
  const decimals = Array.from({ length: 10_001 }, (_, i) => i / 10_000);
  const uniform = Array.from({ length: 2_000 }, () => random());
  return [...edgeScores(), ...decimals, ...uniform];
})();

/** The contract itself: k/B ≤ s < (k+1)/B, a score of 1 in the last bin. */
function inItsBin(score: number, k: number, bins: number): boolean {
  if (!Number.isInteger(k) || k < 0 || k >= bins) return false;
  return k / bins <= score && (score < (k + 1) / bins || (k === bins - 1 && score === 1));
}

describe('calibrationBin in TypeScript', () => {
  it('puts every score in the k with k/B ≤ s < (k+1)/B, at the edges, one ulp either side and in between', () => {
    expect(SCORES.length).toBeGreaterThan(14_855);
    for (const bins of BINS) {
      const wrong = SCORES.filter((s) => !inItsBin(s, calibrationBin(s, bins), bins));
      expect(wrong, `B = ${bins}`).toEqual([]);
    }
  });

  it('fixes what floor(s·B) got wrong: 0.57 at B = 100 is in [0.57, 0.58)', () => {
    expect(0.57 * 100).toBeLessThan(57);
    expect(Math.floor(0.57 * 100)).toBe(56);
    expect(calibrationBin(0.57, 100)).toBe(57);
    expect(calibrationBin(step(0.57, -1), 100)).toBe(56);
    // The old expression put dozens of these scores outside their bin (72 of the 5 × 15,417 checks here).
    let misplaced = 0;
    for (const bins of BINS) for (const s of SCORES) if (!inItsBin(s, Math.min(bins - 1, Math.floor(s * bins)), bins)) misplaced++;
    expect(misplaced).toBeGreaterThan(50);
  });

  it('puts 0 in the first bin and 1 in the last, for every B', () => {
    for (const bins of [1, 2, ...BINS]) {
      expect(calibrationBin(0, bins)).toBe(0);
      expect(calibrationBin(1, bins)).toBe(bins - 1);
      expect(calibrationBin(step(1, -1), bins)).toBe(bins - 1);
    }
  });

  it('calibrationError bins its rows the same way', () => {
    const result = calibrationError([0.57, step(0.57, -1), 0.3, 1], [1, 0, 1, 1], { bins: 100 });
    expect(result.bins[57]!.count).toBe(1);
    expect(result.bins[56]!.count).toBe(1);
    expect(result.bins[30]!.count).toBe(1);
    expect(result.bins[99]!.count).toBe(1);
  });
});

describe('calibration bins in SQL', () => {
  let t: TempStore;
  beforeAll(async () => {
    t = await tempStore({ monitors: { calibration: { bins: 100 } }, windows: { maturity: '1h' } });
    await ensureTables(t.store, t.config);
  });
  afterAll(() => t.cleanup());

  /** calibrationBinSql over the scores (sent as bit patterns, so no text parsing rounds them), in order. */
  async function sqlBins(scores: readonly number[], bins: number, compiled: boolean): Promise<{ bits: string; bin: number }[]> {
    const settings = compiled ? 'compile_expressions = 1, min_count_to_compile_expression = 0' : 'compile_expressions = 0';
    return t.store.select<{ bits: string; bin: number }>(
      `SELECT toString(reinterpretAsUInt64(score)) AS bits, ${calibrationBinSql('score')} AS bin
       FROM (SELECT x.1 AS n, reinterpretAsFloat64(toUInt64(x.2)) AS score
             FROM (SELECT arrayJoin(arrayZip(range(length({bits:Array(String)})), {bits:Array(String)})) AS x))
       ORDER BY n
       SETTINGS ${settings}`,
      { bits: scores.map(bitsOf), cal_bins: bins },
    );
  }

  it('gives every score the bin calibrationBin gives, interpreted or compiled, for every B', async () => {
    for (const bins of BINS) {
      for (const compiled of [false, true]) {
        const rows = await sqlBins(SCORES, bins, compiled);
        expect(rows.map((r) => r.bits)).toEqual(SCORES.map(bitsOf));
        const differ = rows.map((r, i) => ({ score: SCORES[i]!, sql: Number(r.bin), ts: calibrationBin(SCORES[i]!, bins) })).filter((d) => d.sql !== d.ts);
        expect(differ, `B = ${bins}${compiled ? ', compiled' : ''}`).toEqual([]);
      }
    }
  });

  it('puts NaN, ±Inf and scores outside [0, 1] in bin 0 without an error (queries keep them out of the sums)', async () => {
    const rows = await sqlBins([NaN, Infinity, -Infinity, -0.2, 1.7, -0], 100, false);
    expect(rows.map((r) => Number(r.bin))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('expands only its own placeholder, qualified columns included', () => {
    expect(expandCalibrationBins('a = {{cal_bin:m.score}}, b = {{cal_bin:live_safe}}, {{grid_cell:score}}')).toBe(
      `a = ${calibrationBinSql('m.score')}, b = ${calibrationBinSql('live_safe')}, {{grid_cell:score}}`,
    );
  });

  it('every query that bins scores uses that expression, and none bins with floor(s·B) alone', () => {
    const pieces = { chunk: '1', strips: '1', slot: '1', read: '1', cur: '1', mat: '1', shadow: '1', outcomes: '1' };
    const uses: [string, string[]][] = [
      ['labels', ['m.score']],
      ['rollup_labels_raw', ['safe']],
      ['rollup_fold_labels', ['c.score']],
      ['shadow_pairs', ['live_safe', 'shadow_safe']],
    ];
    for (const [name, columns] of uses) {
      const sql = querySql(name, t.config, pieces);
      for (const column of columns) expect(sql, name).toContain(`${calibrationBinSql(column)} AS`);
      expect(sql, name).not.toMatch(/\{\{/);
    }
    // report_traffic.sql is rendered without the placeholder: it writes the same expression out.
    expect(queryText('report_traffic')).toContain(calibrationBinSql('l.score'));
    const known = ['m.score', 'c.score', 'l.score', 'safe', 'live_safe', 'shadow_safe'].map(calibrationBinSql);
    for (const file of readdirSync(join(packageRoot, 'queries')).filter((f) => f.endsWith('.sql'))) {
      let text = readFileSync(join(packageRoot, 'queries', file), 'utf8');
      for (const expression of known) text = text.split(expression).join('');
      expect(text, file).not.toMatch(/\*\s*\{cal_bins:UInt16\}/);
    }
  });

  it('the labels read, raw and from the rollup, and the shadow read count edge scores in their bins', async () => {
    const at = new Date('2026-11-20T12:00:00Z');
    const bins = 100;
    // Matured current window: [at − 25 h, at − 1 h). Scores k/100 and one ulp either side, each labeled.
    const scores: number[] = [];
    for (let k = 0; k <= bins; k++) {
      scores.push(k / bins);
      if (k < bins) scores.push(step(k / bins, 1));
      if (k > 0) scores.push(step(k / bins, -1));
    }
    const events: Record<string, unknown>[] = [];
    const outcomes: Record<string, unknown>[] = [];
    scores.forEach((score, i) => {
      const time = new Date(at.getTime() - 20 * 3_600_000 + i * 1_000);
      const id = `edge${i}`;
      const shadowScore = scores[scores.length - 1 - i]!;
      events.push(eventRow({ time, id, issuer: 'BANK E', region: 'EU', score }));
      events.push(eventRow({ time: new Date(time.getTime() + 50), id, issuer: 'BANK E', region: 'EU', score: shadowScore, variant: 'shadow', version: 'v2' }));
      outcomes.push(outcomeRow(id, new Date(time.getTime() + 60_000), i % 2));
    });
    await t.store.insert('scoring_events', events);
    await t.store.insert('outcomes', outcomes);
    // The stored scores are the doubles sent.
    const stored = await t.store.select<{ bits: string }>(`SELECT toString(reinterpretAsUInt64(score)) AS bits FROM scoring_events WHERE variant = 'live' ORDER BY event_time`);
    expect(stored.map((r) => r.bits)).toEqual(scores.map(bitsOf));

    const expected = (values: readonly number[]) => {
      const counts = new Array<number>(bins).fill(0);
      for (const s of values) counts[calibrationBin(s, bins)]!++;
      return counts;
    };
    const want = expected(scores);
    expect(want[57]).toBe(3);

    const windows = resolveWindows(t.config, at);
    const models = ['card-auth'];
    const raw = await rawSource(t.store, t.config).labels(windows, models, bins, at);
    const state = new RollupState();
    await refreshRollup(t.store, t.config, at, { state });
    const rolled = await rollupSource(t.store, t.config, state).labels(windows, models, bins, at);
    for (const [path, segments] of [['raw', raw], ['rollup', rolled]] as const) {
      const segment = segments.find((s) => s.segment.join('/') === 'BANK E/EU');
      expect(segment?.current.calibration.map((b) => b.count), path).toEqual(want);
    }

    const options = { calibrationBins: bins, segmentMinLabeled: 1_000_000, segmentMinMinority: 1_000_000 };
    for (const [path, source] of [['raw', rawSource(t.store, t.config)], ['rollup', rollupSource(t.store, t.config, state)]] as const) {
      const shadow = await source.shadow(windows, models, options, at);
      const whole = shadow.find((s) => s.shadowVersion === 'v2' && s.segment.length === 0);
      expect(whole?.calibrationLive.map((b) => b.count), path).toEqual(want);
      expect(whole?.calibrationShadow.map((b) => b.count), path).toEqual(expected([...scores].reverse()));
    }
  });
});
