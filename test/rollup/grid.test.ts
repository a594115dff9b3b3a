// The logit grid, defined once: its constants and cell midpoints, and the SQL queries include, against the expressions it replaced; the log loss expression against numpy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellMidpoint, expandGrid, FINE_GRID_CELLS, gridCellSql, SCORE_GRID_CELLS } from '../../src/aggregates/grid.js';
import { querySql } from '../../src/aggregates/sql.js';
import { logLossSql } from '../../src/aggregates/log-loss.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectClose, fixture } from '../stats/support.js';

const logit = (p: number) => Math.log(p / (1 - p));

describe('the grid in TypeScript', () => {
  it('has 256 cells of 1/16 logit over [−8, 8], and a fine grid splitting each in four', () => {
    expect(SCORE_GRID_CELLS).toBe(256);
    expect(FINE_GRID_CELLS).toBe(1024);
  });

  it('gives each cell the midpoint PSI used for configured edges, inside the cell', () => {
    for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) {
      expect(cellMidpoint(cell)).toBe(1 / (1 + Math.exp(-((cell + 0.5) / 16 - 8))));
      expect(Math.floor((logit(cellMidpoint(cell)) + 8) * 16)).toBe(cell);
    }
    for (let cell = 0; cell < FINE_GRID_CELLS; cell += 7) expect(Math.floor((logit(cellMidpoint(cell, true)) + 8) * 64)).toBe(cell);
  });

  it('expands only its own placeholders, and a query that includes the grid keeps none', () => {
    expect(expandGrid('x = {{grid_cell:score}} AND y = {{fine_grid_cell:live_safe}} * {{fine_grid_cells}} AND {{events}}')).toBe(
      `x = ${gridCellSql('score')} AND y = ${gridCellSql('live_safe', true)} * 1024 AND {{events}}`,
    );
  });
});

describe('the grid in SQL', () => {
  let t: TempStore;
  beforeAll(async () => {
    t = await tempStore();
  });
  afterAll(() => t.cleanup());

  it('every query that counts cells includes the grid expression, with nothing left unexpanded', () => {
    for (const [name, fine] of [['psi_score', false], ['rollup_psi_raw', false], ['rollup_fold_events', false], ['shadow_pairs', true]] as const) {
      const pieces = { strips: '1', slot: '1', read: '1', cur: '1', mat: '1', shadow: '1', outcomes: '1' };
      const sql = querySql(name, t.config, pieces);
      expect(sql, name).toContain(gridCellSql(fine ? 'live_safe' : 'score', fine));
      expect(sql, name).not.toMatch(/\{\{/);
    }
  });

  it('puts every score, NaN, ±Inf and out-of-range ones included, in the cell the replaced expressions did', async () => {
    // Cell boundaries of the fine grid (hence of the coarse one) and their neighbours, a uniform sweep, and bad scores.
    const scores = `arrayConcat([nan, inf, -inf, -0.2, 1.7, 0, 1, 1e-300, 0.5],
      arrayMap(k -> 1 / (1 + exp(-(k / 64 - 8))), range(1025)),
      arrayMap(k -> 1 / (1 + exp(-(k / 64 - 8))) * (1 + 1e-15), range(1025)),
      arrayMap(k -> 1 / (1 + exp(-(k / 64 - 8))) * (1 - 1e-15), range(1025)),
      arrayMap(i -> i / 100000, range(100001)))`;
    const safe = 'if(score >= 0 AND score <= 1, score, 0.5)';
    const rows = await t.store.select<{ n: number; coarse: number; fine: number }>(
      `SELECT count() AS n,
         countIf(toUInt16(least(255, greatest(0, floor((log(${safe} / (1 - ${safe})) + 8) * 16)))) != toUInt16(${gridCellSql('score')})) AS coarse,
         countIf(toUInt32(least(1023, greatest(0, floor((log(s / (1 - s)) + 8) * 64)))) != toUInt32(${gridCellSql('s', true)})) AS fine
       FROM (SELECT score, ${safe} AS s FROM (SELECT arrayJoin(${scores}) AS score))`,
    );
    expect(Number(rows[0]?.n)).toBe(9 + 3 * 1025 + 100_001);
    expect(Number(rows[0]?.coarse)).toBe(0);
    expect(Number(rows[0]?.fine)).toBe(0);
  });
  it('computes the log loss numpy does with scikit-learn\'s clip, confident wrong scores of exactly 0 and 1 included', async () => {
    // Oracle: test/fixtures/stats/make_fixtures.py, welch(); tolerance 1e-12 relative (or 1e-15 absolute near 0).
    const { points } = fixture<{ points: { score: number; label: number; loss: number }[] }>('welch');
    const rows = await t.store.select<{ loss: number }>(
      `SELECT ${logLossSql('score', 'label')} AS loss
       FROM (SELECT arrayJoin(arrayZip({scores:Array(Float64)}, {labels:Array(UInt8)})) AS p, p.1 AS score, p.2 AS label)`,
      { scores: points.map((p) => p.score), labels: points.map((p) => p.label) },
    );
    expect(rows).toHaveLength(points.length);
    rows.forEach((row, i) => expectClose(Number(row.loss), (points[i] as { loss: number }).loss, 1e-12, 1e-15));
  });
});
