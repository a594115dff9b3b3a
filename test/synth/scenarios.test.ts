import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime } from '../../src/store/index.js';
import { SCENARIOS, seed, type ScenarioName, type ScenarioTarget, type SeedSummary } from '../../src/synth/index.js';
import { issuers } from '../../src/synth/world.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { approvalRate, auc, ece, meanScore, psi, type Slice } from './measure.js';

const H = 3_600_000;
const END = new Date('2026-11-24T18:00:00Z');
const INCIDENT = new Date(END.getTime() - 26 * H); // the default incident start

let t: TempStore;
let summary: SeedSummary;

beforeAll(async () => {
  t = await tempStore();
  summary = await seed(t.store, t.config, { days: 3, end: END, seed: 11, scenarios: [...SCENARIOS], eventsPerDay: 40_000 });
});
afterAll(() => t.cleanup());

function target(name: ScenarioName): ScenarioTarget {
  const found = summary.targets.find((x) => x.scenario === name);
  if (!found) throw new Error(`no target for ${name}`);
  return found;
}

/** The target's segment before the incident and during it (labels matured: the last 2h left out). */
function windows(x: ScenarioTarget): { before: Slice; during: Slice } {
  const segment = { model: x.model, issuer: x.segment.issuer, region: x.segment.region };
  return { before: { ...segment, from: summary.from, to: INCIDENT }, during: { ...segment, from: INCIDENT, to: new Date(END.getTime() - 2 * H) } };
}

describe('scenario targets', () => {
  it('reports one target per scenario on large card-auth segments, active from incidentStart to end', async () => {
    expect(summary.targets.map((x) => x.scenario)).toEqual([...SCENARIOS]);
    for (const x of summary.targets) {
      expect(x.model).toBe('card-auth');
      expect(x.to).toEqual(END);
      expect(x.from).toEqual(x.shadowVersion ? summary.from : INCIDENT);
      expect(x.description.length).toBeGreaterThan(20);
      if (x.segment.issuer === undefined) continue;
      expect(issuers().slice(0, 10).map((i) => i.name)).toContain(x.segment.issuer);
      const { before } = windows(x);
      const perDay = (await approvalRate(t.store, before)).n / 2.5;
      // 40k/day here; at the default 360k/day these segments have thousands of events a day.
      expect(perDay * 9, x.scenario).toBeGreaterThan(3_000);
    }
    expect(summary.models[0]?.shadowVersions).toEqual(['v42', 'v43']);
  });
});

describe('scenario effects', () => {
  it('issuer-outage: approvals collapse for the issuer in its home region, scores stay as before', async () => {
    const { before, during } = windows(target('issuer-outage'));
    const rateBefore = await approvalRate(t.store, before);
    const rateDuring = await approvalRate(t.store, during);
    expect(rateDuring.rate).toBeLessThan(0.45 * rateBefore.rate);
    expect(Math.abs((await meanScore(t.store, during)) - (await meanScore(t.store, before)))).toBeLessThan(0.02);
    const elsewhere = { model: 'card-auth', region: 'EU', issuer: 'Rhein Sparkasse' };
    const otherBefore = await approvalRate(t.store, { ...elsewhere, from: before.from, to: before.to });
    const otherDuring = await approvalRate(t.store, { ...elsewhere, from: during.from, to: during.to });
    expect(Math.abs(otherDuring.rate - otherBefore.rate)).toBeLessThan(0.05);
  });

  it('score-drift: the whole region scores lower, PSI of its largest segment is large, the model stays calibrated', async () => {
    const x = target('score-drift');
    expect(x.description).toMatch(/whole APAC region/);
    const { before, during } = windows(x);
    expect(await psi(t.store, before, during)).toBeGreaterThan(0.5);
    const region = { model: 'card-auth', region: x.segment.region };
    const drop = (await meanScore(t.store, { ...region, from: summary.from, to: INCIDENT })) - (await meanScore(t.store, { ...region, from: INCIDENT, to: END }));
    expect(drop).toBeGreaterThan(0.1);
    expect(await ece(t.store, { ...region, from: INCIDENT, to: during.to })).toBeLessThan(0.03);
    const router = { model: 'retry-router', region: x.segment.region };
    const routerDrop = (await meanScore(t.store, { ...router, from: summary.from, to: INCIDENT })) - (await meanScore(t.store, { ...router, from: INCIDENT, to: END }));
    expect(Math.abs(routerDrop)).toBeLessThan(0.03);
  });

  it('miscalibration: the segment becomes overconfident while its outcomes do not change', async () => {
    const { before, during } = windows(target('miscalibration'));
    expect(await ece(t.store, before)).toBeLessThan(0.04);
    expect(await ece(t.store, during)).toBeGreaterThan(0.09);
    expect(Math.abs((await approvalRate(t.store, during)).rate - (await approvalRate(t.store, before)).rate)).toBeLessThan(0.05);
  });

  it('mix-shift: LATAM carries much more of the traffic, its own approval rate unchanged, the overall rate falls', async () => {
    const share = async (from: Date, to: Date) => {
      const [row] = await t.store.select<{ share: number }>(
        `SELECT countIf(region = 'LATAM') / count() AS share FROM scoring_events WHERE model = 'card-auth' AND variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
        { from: chTime(from), to: chTime(to) },
      );
      return row?.share ?? NaN;
    };
    const before = await share(summary.from, INCIDENT);
    const during = await share(INCIDENT, END);
    expect(during).toBeGreaterThan(2.5 * before);
    const latam = { model: 'card-auth', region: 'LATAM', issuer: 'Banco Sol' };
    const rateBefore = await approvalRate(t.store, { ...latam, from: summary.from, to: INCIDENT });
    const rateDuring = await approvalRate(t.store, { ...latam, from: INCIDENT, to: new Date(END.getTime() - 2 * H) });
    expect(Math.abs(rateDuring.rate - rateBefore.rate)).toBeLessThan(0.04);
    const overallBefore = await approvalRate(t.store, { model: 'card-auth', from: summary.from, to: INCIDENT });
    const overallDuring = await approvalRate(t.store, { model: 'card-auth', from: INCIDENT, to: new Date(END.getTime() - 2 * H) });
    expect(overallBefore.rate - overallDuring.rate).toBeGreaterThan(0.05);
  });

  it('shadow-better and shadow-worse: v42 clearly more and v43 clearly less discriminating than live over the whole range', async () => {
    const range = { model: 'card-auth', from: summary.from, to: END };
    const live = await auc(t.store, { ...range, version: 'v41' });
    const better = await auc(t.store, { ...range, version: 'v42' });
    const worse = await auc(t.store, { ...range, version: 'v43' });
    expect(better.auc - live.auc).toBeGreaterThan(0.07);
    expect(live.auc - worse.auc).toBeGreaterThan(0.07);
    expect(await ece(t.store, { ...range, version: 'v42' })).toBeLessThan(0.02);
    expect(await ece(t.store, { ...range, version: 'v43' })).toBeGreaterThan(0.05);
    const [lat] = await t.store.select<{ live: number; shadow: number; overlap: number }>(
      `SELECT quantileExactIf(0.5)(latency_ms, model_version = 'v41') AS live, quantileExactIf(0.5)(latency_ms, model_version = 'v42') AS shadow,
        (SELECT count() FROM scoring_events WHERE model_version = 'v43' AND transaction_id IN (SELECT transaction_id FROM scoring_events WHERE model_version = 'v42')) AS overlap
      FROM scoring_events WHERE model = 'card-auth'`,
    );
    expect(Math.abs((lat?.shadow ?? 0) / (lat?.live ?? 1) - 1)).toBeLessThan(0.15);
    expect(lat?.overlap).toBe(0);
  });

  it('network-shift: AMEX carries far more of MEA card-auth traffic from the incident on, every other region keeps its network mix', async () => {
    const x = target('network-shift');
    expect(x.segment).toEqual({ region: 'MEA' });
    const amexShare = async (region: string, from: Date, to: Date) => {
      const [row] = await t.store.select<{ share: number }>(
        `SELECT avg(card_network = 'AMEX') AS share FROM scoring_events WHERE model = 'card-auth' AND variant = 'live' AND region = {region:String} AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
        { region, from: chTime(from), to: chTime(to) },
      );
      return row?.share ?? NaN;
    };
    expect(await amexShare('MEA', summary.from, INCIDENT)).toBeLessThan(0.13);
    expect(await amexShare('MEA', INCIDENT, END)).toBeGreaterThan(0.4);
    for (const region of ['EU', 'NA', 'UK']) expect(await amexShare(region, INCIDENT, END), region).toBeLessThan(0.12);
  });

  it('bad-rows: NaN, +Inf, -0.2, 1.7 scores and duplicated live rows in the incident hours, as counted in the description', async () => {
    const [row] = await t.store.select<{ nan: number; inf: number; low: number; high: number; dups: number; early: number }>(
      `SELECT countIf(isNaN(score)) AS nan, countIf(isInfinite(score) AND score > 0) AS inf, countIf(score = -0.2) AS low, countIf(score = 1.7) AS high,
        count() - uniqExact(transaction_id) AS dups, countIf((NOT isFinite(score) OR score < 0 OR score > 1) AND event_time < {incident:DateTime64(3, 'UTC')}) AS early
      FROM scoring_events WHERE model = 'card-auth' AND variant = 'live'`,
      { incident: chTime(INCIDENT) },
    );
    for (const n of [row?.nan, row?.inf, row?.low, row?.high]) expect(n).toBeGreaterThan(50);
    expect(row?.dups).toBeGreaterThan(200);
    expect(row?.early).toBe(0);
    const description = target('bad-rows').description;
    expect(description).toContain(`${row?.nan} NaN`);
    expect(description).toContain(`${row?.inf} +Inf`);
    expect(description).toContain(`${(row?.low ?? 0) + (row?.high ?? 0)} outside`);
    expect(description).toContain(`${row?.dups} duplicate`);
  });
});

describe('single shadow scenario and explicit incidentStart', () => {
  it('puts shadow-worse on v42 alone, only from an explicit incidentStart', async () => {
    await t.store.command('TRUNCATE TABLE scoring_events');
    await t.store.command('TRUNCATE TABLE outcomes');
    const start = new Date(END.getTime() - 36 * H);
    const alone = await seed(t.store, t.config, { days: 3, end: END, seed: 11, scenarios: ['shadow-worse'], eventsPerDay: 40_000, incidentStart: start });
    expect(alone.models[0]?.shadowVersions).toEqual(['v42']);
    expect(alone.targets).toEqual([expect.objectContaining({ scenario: 'shadow-worse', shadowVersion: 'v42', from: start, to: END })]);
    const shadow = { model: 'card-auth', version: 'v42' };
    const live = { model: 'card-auth', version: 'v41' };
    const aucOf = async (slice: Slice) => (await auc(t.store, slice)).auc;
    const beforeGap = (await aucOf({ ...live, from: alone.from, to: start })) - (await aucOf({ ...shadow, from: alone.from, to: start }));
    const duringGap = (await aucOf({ ...live, from: start, to: END })) - (await aucOf({ ...shadow, from: start, to: END }));
    expect(Math.abs(beforeGap)).toBeLessThan(0.03);
    expect(duringGap).toBeGreaterThan(0.07);
  });
});
