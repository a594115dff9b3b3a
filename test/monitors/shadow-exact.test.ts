// The shadow monitor's SQL aggregates vs the same statistics recomputed from the matched rows pulled out of the store.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import { shadowMonitor } from '../../src/monitors/shadow/index.js';
import type { ShadowFigures, ShadowVerdict } from '../../src/core/types.js';
import { aucWithDeLong, calibrationError, spearmanCorrelation } from '../../src/stats/index.js';
import { chTime } from '../../src/store/index.js';
import { seed } from '../../src/synth/index.js';
import { resolveWindows } from '../../src/core/windows.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-24T12:00:00Z');
let t: TempStore;
let verdict: ShadowVerdict;
let pairs: Pair[];

interface Pair {
  live: number;
  shadow: number;
  live_decision: string;
  shadow_decision: string;
  live_latency: number;
  shadow_latency: number;
  in_cur: number;
  in_mat: number;
  label: number | null;
}

beforeAll(async () => {
  t = await tempStore();
  // No scenario: the shadow is exchangeable with live, so the p-value is moderate, where its accuracy shows.
  await seed(t.store, t.config, { days: 2, end: AT, seed: 11, scenarios: [], eventsPerDay: 40_000 });
  const result = await runCycle(t.store, t.config, { at: AT, monitors: [shadowMonitor] });
  verdict = result.shadow[0] as ShadowVerdict;
  const w = resolveWindows(t.config, AT);
  // Written independently of queries/shadow_compare.sql: a plain three-way join, as a notebook would.
  pairs = await t.store.select<Pair>(
    `SELECT l.score AS live, s.score AS shadow, l.decision AS live_decision, s.decision AS shadow_decision,
       l.latency_ms AS live_latency, s.latency_ms AS shadow_latency,
       l.event_time >= {cur_from:DateTime64(3, 'UTC')} AS in_cur, l.event_time < {mat_to:DateTime64(3, 'UTC')} AS in_mat,
       -- the label rule: the latest outcome that arrived before {at} (none stamped more than 5 minutes before the event)
       if(o.last >= l.event_time - INTERVAL 5 MINUTE, o.approved, NULL) AS label
     FROM (SELECT * FROM scoring_events WHERE variant = 'live') AS l
     INNER JOIN (SELECT * FROM scoring_events WHERE variant = 'shadow') AS s ON l.transaction_id = s.transaction_id
     LEFT JOIN (SELECT transaction_id, argMax(approved, outcome_time) AS approved, max(outcome_time) AS last FROM outcomes
                WHERE outcome_time < {at:DateTime64(3, 'UTC')} GROUP BY transaction_id) AS o
       ON l.transaction_id = o.transaction_id
     WHERE l.event_time >= {mat_from:DateTime64(3, 'UTC')} AND l.event_time < {cur_to:DateTime64(3, 'UTC')}
     SETTINGS join_use_nulls = 1`,
    { cur_from: chTime(w.current.from), cur_to: chTime(w.current.to), mat_from: chTime(w.matured.current.from), mat_to: chTime(w.matured.current.to), at: chTime(AT) },
  );
});
afterAll(() => t.cleanup());

/** The score grid of queries/shadow_compare.sql: 1024 cells uniform in logit over [−8, 8], as midpoints. */
const binned = (score: number) => {
  const cell = Math.min(1023, Math.max(0, Math.floor((Math.log(score / (1 - score)) + 8) * 64)));
  return 1 / (1 + Math.exp(-((cell + 0.5) / 64 - 8)));
};
const current = () => pairs.filter((p) => p.in_cur);
const labeled = () => pairs.filter((p) => p.in_mat && p.label !== null);
const detail = (name: keyof ShadowFigures) => verdict.details?.[name] as number;

/** Quantile with linear interpolation between order statistics (numpy's default, ClickHouse's quantileExactInclusive). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]!);
}

describe('shadow aggregates against the matched rows', () => {
  it('AUCs and the DeLong p-value equal aucWithDeLong on the binned scores of the same transactions', () => {
    const rows = labeled();
    expect(rows.length).toBe(detail('nLabeled'));
    const exact = aucWithDeLong(
      rows.map((r) => binned(r.shadow)),
      rows.map((r) => binned(r.live)),
      rows.map((r) => r.label as number),
    );
    expect(Math.abs(detail('aucShadow') - exact.aucA)).toBeLessThan(1e-9);
    expect(Math.abs(detail('aucLive') - exact.aucB)).toBeLessThan(1e-9);
    expect(Math.abs(detail('pValue') - exact.pValue)).toBeLessThan(1e-9);
    expect(exact.pValue).toBeGreaterThan(1e-3);
  });

  it('Spearman, ECE, latency quantiles, flip matrix and agreement equal the same numbers from the rows', () => {
    const cur = current();
    expect(cur.length).toBe(detail('nMatched'));
    expect(detail('spearman')).toBeCloseTo(spearmanCorrelation(cur.map((r) => binned(r.live)), cur.map((r) => binned(r.shadow))), 12);
    const rows = labeled();
    const labels = rows.map((r) => r.label as number);
    expect(detail('eceLive')).toBeCloseTo(calibrationError(rows.map((r) => r.live), labels).ece, 12);
    expect(detail('eceShadow')).toBeCloseTo(calibrationError(rows.map((r) => r.shadow), labels).ece, 12);
    for (const [q, name] of [[0.5, 'P50'], [0.99, 'P99']] as const) {
      expect(detail(`latency${name}Live`)).toBeCloseTo(quantile(cur.map((r) => r.live_latency), q), 9);
      expect(detail(`latency${name}Shadow`)).toBeCloseTo(quantile(cur.map((r) => r.shadow_latency), q), 9);
    }
    const flips: Record<string, Record<string, number>> = {};
    for (const live of ['approve', 'decline', 'review']) flips[live] = { approve: 0, decline: 0, review: 0 };
    for (const r of cur) (flips[r.live_decision] as Record<string, number>)[r.shadow_decision]! += 1;
    expect(verdict.details?.flipMatrix).toEqual(flips);
    expect(verdict.agreement).toBeCloseTo(cur.filter((r) => r.live_decision === r.shadow_decision).length / cur.length, 12);
  });
});

const DELONG_PY = `
import sys, json, numpy as np
from scipy.stats import rankdata, norm, spearmanr
d = np.loadtxt(sys.argv[1], ndmin=2); live, shadow, y = d[:, 0], d[:, 1], d[:, 2].astype(int)
def placements(x):
    p, n = x[y == 1], x[y == 0]; m, k = len(p), len(n)
    rz = rankdata(np.concatenate([p, n]))
    return (rz[:m] - rankdata(p)) / k, 1 - (rz[m:] - rankdata(n)) / m
(s10, s01), (l10, l01) = placements(shadow), placements(live)
se = np.sqrt(np.var(s10 - l10, ddof=1) / len(s10) + np.var(s01 - l01, ddof=1) / len(s01))
z = (s10.mean() - l10.mean()) / se
print(json.dumps({"aucShadow": s10.mean(), "aucLive": l10.mean(), "z": z, "p": 2 * norm.sf(abs(z))}))
`;
const python = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0;

describe('against numpy/scipy on the raw scores', () => {
  it.skipIf(!python)('AUCs within the grid error, the same z to a few hundredths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-delong-'));
    try {
      const file = join(dir, 'pairs.tsv');
      writeFileSync(file, labeled().map((r) => `${r.live}\t${r.shadow}\t${r.label}`).join('\n'));
      const run = spawnSync('python3', ['-c', DELONG_PY, file], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const raw = JSON.parse(run.stdout) as { aucShadow: number; aucLive: number; z: number; p: number };
      // Measured binning error of the grid on synthetic traffic: ≤ 7.5e-5 per AUC, ≤ 0.03 in z (see compare.ts).
      expect(Math.abs(detail('aucShadow') - raw.aucShadow)).toBeLessThan(1.5e-4);
      expect(Math.abs(detail('aucLive') - raw.aucLive)).toBeLessThan(1.5e-4);
      expect(Math.abs(detail('deltaAuc') / detail('deltaAucSe') - raw.z)).toBeLessThan(0.05);
      expect(Math.abs(Math.log(detail('pValue') / raw.p))).toBeLessThan(0.1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
