// The SQL aggregates equal the pure statistics computed on the same rows pulled out of the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource } from '../../src/aggregates/index.js';
import { calibrationError, calibrationFromBins, psiFromCounts } from '../../src/stats/index.js';
import { resolveWindows } from '../../src/core/windows.js';
import { AT, seedSmallFixture } from '../helpers/fixture.js';
import { tempStore, type TempStore } from '../helpers/store.js';

let t: TempStore;

beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100 });
  await seedSmallFixture(t);
});
afterAll(() => t.cleanup());

interface RawRow {
  score: number;
  approved: number | null;
  in_ref: number;
}

/** Pulls a segment's rows out of the store, as a notebook would. */
async function pull(issuer: string, region: string, matured: boolean): Promise<RawRow[]> {
  const w = resolveWindows(t.config, AT);
  const win = matured ? w.matured : w;
  return t.store.select<RawRow>(
    `SELECT e.score AS score, if(o.outcome_time < e.event_time + INTERVAL 1 HOUR, o.approved, NULL) AS approved, e.event_time < {ref_to:DateTime64(3, 'UTC')} AS in_ref
     FROM scoring_events AS e LEFT JOIN (SELECT transaction_id, approved, outcome_time FROM outcomes WHERE outcome_time < {at:DateTime64(3, 'UTC')}) AS o ON e.transaction_id = o.transaction_id
     WHERE issuer = {issuer:String} AND region = {region:String} AND variant = 'live'
       AND ((e.event_time >= {ref_from:DateTime64(3, 'UTC')} AND e.event_time < {ref_to:DateTime64(3, 'UTC')})
         OR (e.event_time >= {cur_from:DateTime64(3, 'UTC')} AND e.event_time < {cur_to:DateTime64(3, 'UTC')}))
     SETTINGS join_use_nulls = 1`,
    {
      issuer,
      region,
      at: AT.toISOString().replace('T', ' ').replace('Z', ''),
      ref_from: win.reference.from.toISOString().replace('T', ' ').replace('Z', ''),
      ref_to: win.reference.to.toISOString().replace('T', ' ').replace('Z', ''),
      cur_from: win.current.from.toISOString().replace('T', ' ').replace('Z', ''),
      cur_to: win.current.to.toISOString().replace('T', ' ').replace('Z', ''),
    },
  );
}

/** The grid cell and decile bins of queries/psi_score.sql, recomputed from raw scores. */
function decileCounts(refScores: number[], curScores: number[], bins: number) {
  const cell = (s: number) => Math.min(255, Math.max(0, Math.floor((Math.log(s / (1 - s)) + 8) * 16)));
  const refCells = new Array(256).fill(0);
  for (const s of refScores) refCells[cell(s)]++;
  let before = 0;
  const binOfCell = refCells.map((n) => {
    const b = Math.min(bins - 1, Math.floor((before * bins) / refScores.length));
    before += n;
    return b;
  });
  const count = (scores: number[]) => {
    const out = new Array(bins).fill(0);
    for (const s of scores) out[binOfCell[cell(s)] as number]++;
    return out;
  };
  return { ref: count(refScores), cur: count(curScores) };
}

const valid = (s: number) => Number.isFinite(s) && s >= 0 && s <= 1;

describe('score PSI aggregates', () => {
  it('equal decile counts recomputed from the raw rows, and so the same PSI', async () => {
    const source = rawSource(t.store, t.config);
    const windows = resolveWindows(t.config, AT);
    const rows = await source.scoreBins(windows, [], { bins: 10, cellBins: [] });
    // GONE has no current traffic: not judged. BANK C sits in one grid cell: deciles collapse but it is still judged.
    expect(rows.map((r) => r.segment.join('/')).sort()).toEqual(['BANK A/EU', 'BANK B/NA', 'BANK C/EU']);
    for (const row of rows) {
      const raw = await pull(row.segment[0] as string, row.segment[1] as string, false);
      const ref = raw.filter((r) => r.in_ref && valid(r.score)).map((r) => r.score);
      const cur = raw.filter((r) => !r.in_ref && valid(r.score)).map((r) => r.score);
      const expected = decileCounts(ref, cur, 10);
      expect(row.referenceBins).toEqual(expected.ref);
      expect(row.currentBins).toEqual(expected.cur);
      expect(psiFromCounts(row.referenceBins, row.currentBins)).toBeCloseTo(psiFromCounts(expected.ref, expected.cur), 12);
    }
  });
});

describe('label aggregates', () => {
  it('give the ECE, MCE, Brier and approval counts of the raw rows (1e-9)', async () => {
    const source = rawSource(t.store, t.config);
    const windows = resolveWindows(t.config, AT);
    const rows = await source.labels(windows, [], 10, AT);
    const segments = rows.map((r) => r.segment.join('/')).sort();
    expect(segments).toEqual(['BANK A/EU', 'BANK B/NA', 'BANK C/EU', 'GONE/APAC']);
    for (const row of rows) {
      const raw = await pull(row.segment[0] as string, row.segment[1] as string, true);
      for (const [name, inRef] of [['reference', 1], ['current', 0]] as const) {
        const labeled = raw.filter((r) => r.in_ref === inRef && r.approved !== null);
        expect(row[name].events).toBe(raw.filter((r) => r.in_ref === inRef).length);
        expect(row[name].labeled).toBe(labeled.length);
        expect(row[name].approved).toBe(labeled.filter((r) => r.approved === 1).length);
        const scored = labeled.filter((r) => valid(r.score));
        if (scored.length === 0) continue;
        const pure = calibrationError(scored.map((r) => r.score), scored.map((r) => r.approved as number));
        const fromSql = calibrationFromBins(row[name].calibration);
        expect(fromSql.ece).toBeCloseTo(pure.ece, 9);
        expect(fromSql.mce).toBeCloseTo(pure.mce, 9);
        expect(fromSql.brier).toBeCloseTo(pure.brier, 9);
      }
    }
  });
});

describe('quality aggregates', () => {
  it('count bad scores by kind and outcomes missing past maturity', async () => {
    const source = rawSource(t.store, t.config);
    const windows = resolveWindows(t.config, AT);
    const [q] = await source.quality(windows, [], AT);
    expect(q).toMatchObject({ model: 'card-auth', nanScores: 1, infScores: 2, outOfRange: 2, duplicates: 0, futureEvents: 0 });
    const expectedMissing = await t.store.select<{ n: number }>(
      `SELECT count() AS n FROM scoring_events WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
         AND transaction_id NOT IN (SELECT transaction_id FROM outcomes)`, // every fixture outcome comes a minute after its event, within maturity
      { from: windows.matured.current.from.toISOString().replace('T', ' ').replace('Z', ''), to: windows.matured.current.to.toISOString().replace('T', ' ').replace('Z', '') },
    );
    expect(q?.missingOutcomes).toBe(expectedMissing[0]?.n);
    expect(q?.missingOutcomes).toBeGreaterThan(0);
  });
});

describe('the seam applies minVolume and answers each question once per cycle', () => {
  it('filters score bins by config.minVolume', async () => {
    const windows = resolveWindows(t.config, AT);
    const segments = async () => (await rawSource(t.store, t.config).scoreBins(windows, [], { bins: 10, cellBins: [] })).map((r) => r.segment.join('/')).sort();
    expect(await segments()).toEqual(['BANK A/EU', 'BANK B/NA', 'BANK C/EU']);
    const strict = await rawSource(t.store, { ...t.config, minVolume: 1_000_000 }).scoreBins(windows, [], { bins: 10, cellBins: [] });
    expect(strict).toEqual([]);
  });

  it('marks each label segment with the rule the approval rate and calibration are judged by', async () => {
    const windows = resolveWindows(t.config, AT);
    const rows = await rawSource(t.store, t.config).labels(windows, [], 10, AT);
    const min = t.config.minVolume;
    for (const row of rows) {
      const calibrated = row.current.calibration.reduce((s, b) => s + b.count, 0);
      expect(row.enough.rate).toBe(row.reference.labeled >= min && row.current.labeled >= min);
      expect(row.enough.calibration).toBe(row.current.labeled >= min && calibrated >= min);
    }
    expect(rows.some((r) => r.enough.rate)).toBe(true);
    expect(rows.some((r) => !r.enough.rate)).toBe(true);
  });

  it('reads a question once per source, so monitors asking it share the answer; a new source reads again', async () => {
    const windows = resolveWindows(t.config, AT);
    const source = rawSource(t.store, t.config);
    const first = await source.labels(windows, [], 10, AT);
    expect(await source.labels(windows, [], 10, AT)).toBe(first);
    expect(await source.labels({ matured: windows.matured }, [], 10, AT)).toBe(first);
    expect(await rawSource(t.store, t.config).labels(windows, [], 10, AT)).not.toBe(first);
  });
});
