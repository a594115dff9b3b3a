// The history sink against a fresh embedded ClickHouse: every row and metric name, NaN kept, idempotent per cycle, TTL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import { historyRows, writeHistory } from '../../src/sinks/history.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-24T12:00:00Z');
const HOSTILE = `it's "quoted"\n\t<script>\\ 💳 ${'z'.repeat(2_000)}`;

function evaluation(fields: Partial<Evaluation> & Pick<Evaluation, 'monitor' | 'feature' | 'value'>): Evaluation {
  return { model: 'card-auth', segment: { issuer: 'acme', region: 'eu' }, threshold: 0.1, severity: 'ok', nCurrent: 1200, nReference: 6000, ...fields };
}

function cycle(at = AT): CycleResult {
  const window = { from: new Date(at.getTime() - 86_400_000), to: at };
  return {
    at,
    windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
    models: ['card-auth'],
    evaluations: [
      evaluation({ monitor: 'psi', feature: 'score', value: 0.31, threshold: 0.25, severity: 'critical' }),
      evaluation({ monitor: 'psi', feature: 'amount', value: 0.01, segment: { issuer: HOSTILE, region: 'us' } }),
      evaluation({ monitor: 'calibration', feature: 'ece', value: 0.045, threshold: 0.03, severity: 'warning', details: { mce: 0.12, brier: 0.18 } }),
      evaluation({
        monitor: 'approval_rate',
        feature: 'delta',
        value: -0.05,
        threshold: 0.03,
        severity: 'warning',
        pValue: 0.0004,
        qValue: 0.002,
        details: { currentRate: 0.85, referenceRate: 0.9, currentWilson: { lo: 0.83, hi: 0.87 } },
      }),
      evaluation({ monitor: 'approval_rate', feature: 'delta', value: Infinity, segment: { issuer: 'small', region: 'eu' }, nCurrent: NaN }),
    ],
    findings: [],
    shadow: [{ model: 'card-auth', shadowVersion: 'v2', verdict: 'reject', reasons: ['AUC worse', 'latency p99 up'], agreement: 0.91, details: { aucLive: 0.81, aucShadow: 0.78, pValue: 0.01 } }],
    quality: { rows: 100_000, badScores: 12, missingOutcomes: 40, duplicates: 3, nullScores: 2 },
    approval: [{ model: 'card-auth', currentRate: 0.86, referenceRate: 0.9, change: -0.04, mix: -0.01, rate: -0.03, nReference: 1000, nCurrent: 900, pValue: 0.02 }],
    durationMs: 900,
  };
}

interface Row {
  model: string;
  monitor: string;
  metric: string;
  feature: string;
  shadow_version: string;
  segment: Record<string, string>;
  value: string;
  threshold: string;
  severity: string;
  n_current: number;
  n_reference: number;
  p_value: string;
  q_value: string;
  note: string;
  cycle_id: string;
  at: string;
}

let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ history: { ttl: '30d' } });
});
afterAll(async () => {
  await t?.cleanup();
});

async function read(cycleId: string): Promise<Row[]> {
  return t.store.select<Row>(
    `SELECT *, toString(value) AS value, toString(threshold) AS threshold, toString(p_value) AS p_value, toString(q_value) AS q_value, toString(at) AS at
     FROM driftwatch.driftwatch_metrics WHERE cycle_id = {id:String} ORDER BY monitor, metric, feature, value`,
    { id: cycleId },
  );
}

describe('writeHistory', () => {
  test('writes one row per evaluation, derived values, shadow and quality, and reads back the same values', async () => {
    const written = await writeHistory(t.store, t.config, cycle(), 'cycle-1');
    const rows = await read('cycle-1');
    expect(rows).toHaveLength(written);
    const brief = rows.map((r) => `${r.monitor} ${r.metric} ${r.feature} ${r.shadow_version} ${r.value} ${r.severity}`.replace(/ +/g, ' '));
    expect(brief).toEqual([
      'approval_rate approval_delta -0.05 warning',
      'approval_rate approval_delta inf ok',
      'approval_rate approval_rate_current 0.85 ',
      'approval_rate approval_rate_reference 0.9 ',
      'approval_rate overall_change -0.04 ',
      'approval_rate overall_current_rate 0.86 ',
      'approval_rate overall_mix -0.01 ',
      'approval_rate overall_n_current 900 ',
      'approval_rate overall_n_reference 1000 ',
      'approval_rate overall_p_value 0.02 ',
      'approval_rate overall_rate -0.03 ',
      'approval_rate overall_reference_rate 0.9 ',
      'approval_rate wilson_hi 0.87 ',
      'approval_rate wilson_lo 0.83 ',
      'calibration brier 0.18 ',
      'calibration ece 0.045 warning',
      'calibration mce 0.12 ',
      'psi psi amount 0.01 ok',
      'psi psi score 0.31 critical',
      'quality bad_scores 12 ',
      'quality duplicates 3 ',
      'quality missing_outcomes 40 ',
      'quality null_scores 2 ',
      'quality rows 100000 ',
      'shadow agreement v2 0.91 ',
      'shadow auc_live v2 0.81 ',
      'shadow auc_shadow v2 0.78 ',
      'shadow verdict reject v2 -1 ',
    ]);
    const delta = rows.find((r) => r.metric === 'approval_delta' && r.value === '-0.05');
    expect(delta).toMatchObject({ at: '2026-11-24 12:00:00.000', model: 'card-auth', segment: { issuer: 'acme', region: 'eu' }, threshold: '0.03' });
    expect(delta).toMatchObject({ n_current: 1200, n_reference: 6000, p_value: '0.0004', q_value: '0.002' });
    expect(rows.find((r) => r.metric === 'wilson_lo')).toMatchObject({ threshold: 'nan', p_value: 'nan', n_current: 1200, segment: { issuer: 'acme', region: 'eu' } });
    expect(rows.find((r) => r.value === 'inf')).toMatchObject({ n_current: 0, p_value: 'nan', segment: { issuer: 'small', region: 'eu' } });
    expect(rows.find((r) => r.feature === 'amount')?.segment).toEqual({ issuer: HOSTILE, region: 'us' });
    expect(rows.find((r) => r.metric === 'verdict')).toMatchObject({ note: 'AUC worse; latency p99 up', segment: {}, model: 'card-auth' });
    expect(rows.find((r) => r.metric === 'auc_shadow')?.p_value).toBe('0.01');
    expect(rows.find((r) => r.metric === 'agreement')?.p_value).toBe('nan');
    expect(rows.find((r) => r.metric === 'rows')).toMatchObject({ model: '', segment: {}, severity: '' });
  });

  test('a retried write of the same cycle lands once; another cycle adds its own rows', async () => {
    const first = await writeHistory(t.store, t.config, cycle(), 'cycle-retry');
    await writeHistory(t.store, t.config, cycle(), 'cycle-retry');
    await writeHistory(t.store, t.config, cycle(), 'cycle-retry');
    expect(await read('cycle-retry')).toHaveLength(first);
    await writeHistory(t.store, t.config, cycle(new Date('2026-11-24T12:05:00Z')), 'cycle-next');
    expect(await read('cycle-next')).toHaveLength(first);
  });

  test('a cycle with nothing judged still records its quality counts', async () => {
    const empty = { ...cycle(), evaluations: [], shadow: [], approval: undefined };
    expect(historyRows(empty, 'c').map((r) => r.metric)).toEqual(['rows', 'bad_scores', 'missing_outcomes', 'duplicates', 'null_scores']);
    expect(await writeHistory(t.store, t.config, empty, 'cycle-empty')).toBe(5);
  });

  test('the table keeps rows for history.ttl', async () => {
    const [ddl] = await t.store.select<{ statement: string }>('SHOW CREATE TABLE driftwatch.driftwatch_metrics');
    expect(ddl?.statement).toContain(`toIntervalSecond(${30 * 86_400})`);
    expect(ddl?.statement).toContain('non_replicated_deduplication_window = 1000');
  });
});
