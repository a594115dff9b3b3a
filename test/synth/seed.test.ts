import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { chTime, ensureSchema } from '../../src/store/index.js';
import { seed, type SeedOptions, type SeedSummary } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { approvalRate, checksum, ece, psi } from './measure.js';

const H = 3_600_000;
const END = new Date('2026-11-24T12:00:00Z');
const OPTIONS: SeedOptions = { days: 3, end: END, seed: 7, scenarios: [], eventsPerDay: 20_000 };

let t: TempStore;
let summary: SeedSummary;
const progress: [number, number][] = [];

async function one<T>(sql: string, params: Record<string, unknown> = {}): Promise<T> {
  const [row] = await t.store.select<T>(sql, params);
  if (!row) throw new Error(`no row from ${sql}`);
  return row;
}

async function truncate(): Promise<void> {
  await t.store.command('TRUNCATE TABLE scoring_events');
  await t.store.command('TRUNCATE TABLE outcomes');
}

beforeAll(async () => {
  t = await tempStore();
  summary = await seed(t.store, t.config, { ...OPTIONS, onProgress: (done, total) => progress.push([done, total]) });
});
afterAll(() => t.cleanup());

describe('seed on clean traffic', () => {
  it('summarises what it wrote', async () => {
    const counts = await one<{ events: number; outcomes: number }>('SELECT (SELECT count() FROM scoring_events) AS events, (SELECT count() FROM outcomes) AS outcomes');
    expect(summary.events).toBe(counts.events);
    expect(summary.outcomes).toBe(counts.outcomes);
    expect(summary.events).toBeGreaterThan(3 * 20_000);
    expect(summary.from.toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(summary.to).toEqual(END);
    expect(summary.models).toEqual([
      { model: 'card-auth', liveVersion: 'v41', shadowVersions: ['v42'] },
      { model: 'retry-router', liveVersion: 'v7', shadowVersions: [] },
    ]);
    expect(summary.targets).toEqual([]);
    expect(summary.seconds).toBeGreaterThan(0);
  });

  it('reports progress after each chunk, ending at the total', () => {
    expect(progress.length).toBeGreaterThanOrEqual(4);
    const total = progress[0]?.[1] as number;
    expect(total).toBeGreaterThan(55_000);
    expect(progress.at(-1)).toEqual([total, total]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]?.[0]).toBeGreaterThan(progress[i - 1]?.[0] as number);
  });

  it('writes live card-auth, a ~25% shadow with the same transaction ids, and a ~10% retry-router', async () => {
    const r = await one<{ live: number; shadow: number; router: number; orphans: number; other: number; uniqueLive: number }>(`
      SELECT countIf(model = 'card-auth' AND variant = 'live' AND model_version = 'v41') AS live,
        countIf(model = 'card-auth' AND variant = 'shadow' AND model_version = 'v42') AS shadow,
        countIf(model = 'retry-router' AND variant = 'live' AND model_version = 'v7') AS router,
        (SELECT count() FROM scoring_events WHERE variant = 'shadow' AND transaction_id NOT IN (SELECT transaction_id FROM scoring_events WHERE variant = 'live')) AS orphans,
        count() - live - shadow - router AS other,
        uniqExactIf(transaction_id, variant = 'live') AS uniqueLive
      FROM scoring_events`);
    expect(r.other).toBe(0);
    expect(r.orphans).toBe(0);
    expect(r.shadow / r.live).toBeGreaterThan(0.23);
    expect(r.shadow / r.live).toBeLessThan(0.27);
    expect(r.router / r.live).toBeGreaterThan(0.08);
    expect(r.router / r.live).toBeLessThan(0.12);
    expect(r.uniqueLive).toBe(r.live + r.router);
    const same = await one<{ differ: number }>(`
      SELECT countIf(s.issuer != l.issuer OR s.region != l.region OR s.amount != l.amount OR s.event_time != l.event_time) AS differ
      FROM (SELECT * FROM scoring_events WHERE variant = 'shadow') AS s INNER JOIN (SELECT * FROM scoring_events WHERE variant = 'live') AS l USING transaction_id`);
    expect(same.differ).toBe(0);
  });

  it('writes at most one outcome per transaction, never before its event, never after end', async () => {
    const r = await one<{ n: number; unique: number; early: number; late: number; strays: number }>(`
      SELECT count() AS n, uniqExact(o.transaction_id) AS unique, countIf(o.outcome_time < e.event_time) AS early,
        countIf(o.outcome_time >= {end:DateTime64(3, 'UTC')}) AS late,
        (SELECT count() FROM outcomes WHERE transaction_id NOT IN (SELECT transaction_id FROM scoring_events)) AS strays
      FROM outcomes AS o INNER JOIN (SELECT transaction_id, any(event_time) AS event_time FROM scoring_events WHERE variant = 'live' GROUP BY transaction_id) AS e USING transaction_id`,
      { end: chTime(END) });
    expect(r.n).toBe(summary.outcomes);
    expect(r.unique).toBe(r.n);
    expect(r.early).toBe(0);
    expect(r.late).toBe(0);
    expect(r.strays).toBe(0);
  });

  it('delays outcomes mostly by seconds, with a thin tail that leaves < 0.2% of mature events unlabelled', async () => {
    const r = await one<{ within10m: number; withinDay: number; missing: number; recentMissing: number }>(`
      SELECT countIf(d <= 600) / countIf(d >= 0) AS within10m, countIf(d <= 86400) / countIf(d >= 0) AS withinDay,
        countIf(d < 0 AND e.event_time < {mature:DateTime64(3, 'UTC')}) / countIf(e.event_time < {mature:DateTime64(3, 'UTC')}) AS missing,
        countIf(d < 0 AND e.event_time >= {recent:DateTime64(3, 'UTC')}) / countIf(e.event_time >= {recent:DateTime64(3, 'UTC')}) AS recentMissing
      FROM (SELECT e.event_time AS event_time, if(o.transaction_id = '', -1, dateDiff('second', e.event_time, o.outcome_time)) AS d
        FROM (SELECT * FROM scoring_events WHERE variant = 'live') AS e LEFT JOIN outcomes AS o USING transaction_id) AS e`,
      { mature: chTime(END.getTime() - 2 * H), recent: chTime(END.getTime() - 60_000) });
    // An authorisation feed: 99.93 % within seconds (10 s mean), the rest over hours and days (world.ts DELAY).
    expect(r.within10m).toBeGreaterThan(0.998);
    expect(r.withinDay).toBeGreaterThan(0.9995);
    expect(r.missing).toBeGreaterThan(0);
    expect(r.missing).toBeLessThan(0.002);
    expect(r.recentMissing).toBeGreaterThan(0.1);
    const cb = await one<{ nulls: number; ones: number; declinedCb: number }>(`
      SELECT countIf(isNull(chargeback)) / count() AS nulls, countIf(chargeback = 1) AS ones, countIf(approved = 0 AND chargeback != 0) AS declinedCb FROM outcomes`);
    expect(cb.nulls).toBeGreaterThan(0.01);
    expect(cb.nulls).toBeLessThan(0.1);
    expect(cb.ones).toBeGreaterThan(0);
    expect(cb.declinedCb).toBe(0);
  });

  it('scores calibrated at baseline: ECE of each live model < 0.02', async () => {
    for (const model of ['card-auth', 'retry-router']) {
      const value = await ece(t.store, { model, from: summary.from, to: END });
      expect(value, model).toBeLessThan(0.02);
    }
    expect(await ece(t.store, { model: 'card-auth', version: 'v42', from: summary.from, to: END })).toBeLessThan(0.02);
  });

  it('gives issuers Zipf-like volume with a home region, and regions their currency', async () => {
    const top = await t.store.select<{ issuer: string; share: number; home: number }>(`
      SELECT issuer, count() / (SELECT count() FROM scoring_events WHERE variant = 'live') AS share,
        countIf(region = 'NA') / count() AS home
      FROM scoring_events WHERE variant = 'live' GROUP BY issuer ORDER BY share DESC LIMIT 10`);
    expect(top[0]?.issuer).toBe('Northbank');
    expect(top[0]?.share).toBeGreaterThan(0.14);
    expect(top[0]?.share).toBeLessThan(0.23);
    expect(top[0]?.home).toBeGreaterThan(0.83);
    expect(top.reduce((a, r) => a + r.share, 0)).toBeGreaterThan(0.4);
    const r = await one<{ issuers: number; currencies: number; regions: number; networks: number }>(`
      SELECT uniqExact(issuer) AS issuers, max(c) AS currencies, uniqExact(region) AS regions, (SELECT uniqExact(card_network) FROM scoring_events) AS networks
      FROM (SELECT issuer, region, uniqExact(currency) OVER (PARTITION BY region) AS c FROM scoring_events)`);
    expect(r.issuers).toBeGreaterThan(1000);
    expect(r.currencies).toBe(1);
    expect(r.regions).toBe(6);
    expect(r.networks).toBe(4);
  });

  it('makes afternoons busier than nights, decisions follow scores, latency p50 ≈ 35ms and p99 ≈ 90ms', async () => {
    const r = await one<{ afternoon: number; night: number; wrong: number; p50: number; p99: number; keys: string[] }>(`
      SELECT countIf(toHour(event_time) BETWEEN 14 AND 16) AS afternoon, countIf(toHour(event_time) BETWEEN 2 AND 4) AS night,
        countIf(decision != multiIf(score >= 0.5, 'approve', score >= 0.35, 'review', 'decline')) AS wrong,
        quantileExactIf(0.5)(latency_ms, model_version = 'v41') AS p50, quantileExactIf(0.99)(latency_ms, model_version = 'v41') AS p99,
        arraySort(any(mapKeys(features))) AS keys
      FROM scoring_events`);
    expect(r.afternoon).toBeGreaterThan(2 * r.night);
    expect(r.wrong).toBe(0);
    expect(r.p50).toBeGreaterThan(32);
    expect(r.p50).toBeLessThan(38);
    expect(r.p99).toBeGreaterThan(75);
    expect(r.p99).toBeLessThan(105);
    expect(r.keys).toEqual(['amount_z', 'device_risk', 'issuer_decline_7d', 'velocity_1h']);
  });

  it('does not look like an incident: the last day matches the days before on large segments', async () => {
    const at = END.getTime();
    for (const segment of [{ issuer: 'Northbank', region: 'NA' }, { issuer: 'Eurobanca', region: 'EU' }]) {
      const slice = { model: 'card-auth', ...segment };
      const value = await psi(t.store, { ...slice, from: summary.from, to: new Date(at - 24 * H) }, { ...slice, from: new Date(at - 24 * H), to: END });
      expect(value).toBeLessThan(0.05);
      const before = await approvalRate(t.store, { ...slice, from: summary.from, to: new Date(at - 26 * H) });
      const after = await approvalRate(t.store, { ...slice, from: new Date(at - 26 * H), to: new Date(at - 2 * H) });
      expect(Math.abs(before.rate - after.rate)).toBeLessThan(0.03);
    }
  });

  it('writes to the configured table and column names', async () => {
    const config = parseConfig({
      store: { path: t.config.store.path },
      tables: { events: 'ev_renamed', outcomes: 'oc_renamed' },
      columns: { events: { score: 'p_approve', issuer: 'bank' }, outcomes: { approved: 'ok' } },
      segments: ['bank', 'region'],
    });
    await ensureSchema(t.store, config);
    const small = await seed(t.store, config, { days: 1, end: END, seed: 1, scenarios: ['issuer-outage'], eventsPerDay: 2_000 });
    const r = await one<{ n: number; scored: number; ok: number }>('SELECT count() AS n, countIf(p_approve > 0) AS scored, (SELECT count() FROM oc_renamed WHERE ok IN (0, 1)) AS ok FROM ev_renamed');
    expect(r.n).toBe(small.events);
    expect(r.scored).toBe(r.n);
    expect(r.ok).toBe(small.outcomes);
    expect(small.targets[0]?.segment).toEqual({ bank: 'Eurobanca', region: 'EU' });
  });

  it('rejects bad options with a clear error', async () => {
    await expect(seed(t.store, t.config, { ...OPTIONS, days: 0 })).rejects.toThrow(ConfigError);
    await expect(seed(t.store, t.config, { ...OPTIONS, seed: -1 })).rejects.toThrow(/non-negative integer/);
    await expect(seed(t.store, t.config, { ...OPTIONS, scenarios: ['nope' as 'bad-rows'] })).rejects.toThrow(/unknown scenario nope/);
    await expect(seed(t.store, t.config, { ...OPTIONS, incidentStart: new Date('2020-01-01T00:00:00Z') })).rejects.toThrow(/incidentStart/);
  });

  it('is deterministic: the same arguments give the same rows, another seed other rows', async () => {
    const first = await checksum(t.store);
    await truncate();
    await seed(t.store, t.config, OPTIONS);
    expect(await checksum(t.store)).toEqual(first);
    await truncate();
    await seed(t.store, t.config, { ...OPTIONS, seed: 8 });
    const other = await checksum(t.store);
    expect(other.events).not.toBe(first.events);
    expect(other.outcomes).not.toBe(first.outcomes);
  });
});
