// A/B tests and canaries on synthetic traffic: a better treatment ships, a worse one rolls back, a broken allocation
// blocks the verdict, one live version is no experiment; the rollup's numbers equal the raw path's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import type { CycleResult, ExperimentVerdict } from '../../src/core/types.js';
import { runCycle } from '../../src/cycle.js';
import { experimentsMonitor } from '../../src/monitors/experiments/index.js';
import { runDocument } from '../../src/output.js';
import { prepareCycle } from '../../src/prepare.js';
import { seed, type ScenarioName } from '../../src/synth/index.js';
import { eventRow, outcomeRow } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectSameCycle } from '../rollup/compare.js';

const DAY = 86_400_000;
const FIRST_END = new Date('2026-11-24T12:00:00Z');
let t: TempStore;
let slot = 0;

beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

/** Two days of traffic before a fresh end, four days after the previous data set's, so data sets never overlap. */
async function seeded(scenarios: ScenarioName[], seedValue: number): Promise<Date> {
  const end = new Date(FIRST_END.getTime() + slot++ * 4 * DAY);
  // Experiments start at the default incident start, end − 26 h: a day of matured labels at `end`.
  await seed(t.store, t.config, { days: 2, end, seed: seedValue, scenarios, eventsPerDay: 40_000 });
  return end;
}

function withDeclared(split: Record<string, number>): Config {
  return { ...t.config, monitors: { ...t.config.monitors, experiments: { declared: [{ model: 'card-auth', control: 'v41', split }] } } };
}

const experimentsOf = (result: CycleResult): ExperimentVerdict[] => result.experiments ?? [];

async function judge(at: Date, config: Config = t.config): Promise<ExperimentVerdict[]> {
  return experimentsOf(await runCycle(t.store, config, { at, monitors: [experimentsMonitor] }));
}

function only(verdicts: ExperimentVerdict[]): ExperimentVerdict {
  expect(verdicts.map((v) => `${v.model} ${v.control}→${v.treatment}`)).toEqual(['card-auth v41→v44']);
  return verdicts[0] as ExperimentVerdict;
}

describe('experiments on synthetic traffic', () => {
  it('ships a treatment that raises approvals ~4 pp on half the traffic, with its reasons', async () => {
    const at = await seeded(['ab-better'], 1);
    const v = only(await judge(at));
    expect(v.verdict, v.reasons.join('\n')).toBe('ship');
    expect(v.reasons[0]).toMatch(/^approvals higher under v44: approval lift \+\d\.\d\u00a0pp/);
    expect(v.approvalLift).toBeGreaterThan(0.025);
    expect(v.approvalLift).toBeLessThan(0.055);
    expect(v.lo).toBeGreaterThan(0);
    expect(v.srmPValue).toBeNull();
    expect(v.treatmentArm.events / (v.treatmentArm.events + v.controlArm.events)).toBeCloseTo(0.5, 1);
    // Each arm's decisions and latency: v44's scores sit higher, so it approves more; both serve at live's ~35 ms median.
    expect(v.treatmentArm.decisionMix.approve).toBeGreaterThan(v.controlArm.decisionMix.approve);
    expect(v.controlArm.decisionMix.approve + v.controlArm.decisionMix.decline + v.controlArm.decisionMix.review).toBeCloseTo(1, 12);
    for (const arm of [v.controlArm, v.treatmentArm]) {
      expect(arm.latencyP50 as number).toBeGreaterThan(33);
      expect(arm.latencyP50 as number).toBeLessThan(37);
      expect(arm.latencyP99 as number).toBeGreaterThan(arm.latencyP50 as number);
    }
    // The span starts at the treatment's first live event, the default incident start (end − 26 h).
    expect(Date.parse(v.since)).toBeGreaterThanOrEqual(at.getTime() - 26 * 3_600_000);
    expect(Date.parse(v.since)).toBeLessThan(at.getTime() - 26 * 3_600_000 + 60_000);
    // In run --json, with the contract's keys.
    const doc = runDocument(await runCycle(t.store, t.config, { at, monitors: [experimentsMonitor] }));
    expect(doc.experiments).toEqual([
      expect.objectContaining({ model: 'card-auth', control: 'v41', treatment: 'v44', verdict: 'ship', reasons: v.reasons, approvalLift: v.approvalLift, lo: v.lo, hi: v.hi, srmPValue: null }),
    ]);
  });

  it('rolls back a treatment that lowers approvals ~4 pp', async () => {
    const at = await seeded(['ab-worse'], 2);
    const v = only(await judge(at));
    expect(v.verdict, v.reasons.join('\n')).toBe('rollback');
    expect(v.reasons[0]).toMatch(/^approvals lower under v44/);
    expect(v.approvalLift).toBeLessThan(-0.025);
    expect(v.approvalLift).toBeGreaterThan(-0.055);
    expect(v.hi).toBeLessThan(0);
  });

  it('blocks the verdict of a 45/55 allocation against a declared 50/50 (SRM); undeclared, the same data ships', async () => {
    const at = await seeded(['ab-srm'], 3);
    const blocked = only(await judge(at, withDeclared({ v41: 50, v44: 50 })));
    expect(blocked.verdict, blocked.reasons.join('\n')).toBe('continue');
    expect(blocked.blocked).toBe('srm');
    expect(blocked.srmPValue as number).toBeLessThan(1e-6);
    expect(blocked.reasons[0]).toMatch(/^sample ratio mismatch: v44 got 4[45]\.\d\u00a0% of the traffic against a declared 50\.0\u00a0%/);
    // The split it was run with passes, and the treatment ships.
    const declaredRight = only(await judge(at, withDeclared({ v41: 55, v44: 45 })));
    expect(declaredRight.srmPValue as number).toBeGreaterThan(0.001);
    expect(declaredRight.verdict, declaredRight.reasons.join('\n')).toBe('ship');
    const undeclared = only(await judge(at));
    expect(undeclared.verdict).toBe('ship');
    expect(undeclared.reasons).toContain('no declared split for card-auth: the allocation is not checked (monitors.experiments.declared)');
  });

  it('finds no experiment in clean traffic with one live version', async () => {
    const at = await seeded([], 4);
    expect(await judge(at)).toEqual([]);
  });

  it('reads the same numbers from the rollup as from the raw tables, the drift monitors without the treatment included', async () => {
    const at = await seeded(['ab-better'], 5);
    // Every monitor on: the drift monitors' reads that leave v44 out (score bins and strips, labels, performance) are compared too.
    const config: Config = { ...t.config, monitors: { ...t.config.monitors, performance: { enabled: true } } };
    const rawCycle = await runCycle(t.store, config, { at });
    const rolledCycle = await runCycle(t.store, config, await prepareCycle(t.store, config, at));
    expectSameCycle(rolledCycle, rawCycle);
    expect(rawCycle.evaluations.filter((e) => e.model === 'card-auth' && e.monitor === 'performance').length).toBeGreaterThan(0);
    const raw = only(experimentsOf(rawCycle));
    const rolled = only(experimentsOf(rolledCycle));
    expect(rolled.controlArm).toMatchObject({ events: raw.controlArm.events, labeled: raw.controlArm.labeled, approved: raw.controlArm.approved });
    expect(rolled.treatmentArm).toMatchObject({ events: raw.treatmentArm.events, labeled: raw.treatmentArm.labeled, approved: raw.treatmentArm.approved });
    expect(rolled.approvalLift).toBe(raw.approvalLift);
    expect(rolled.lo).toBe(raw.lo);
    expect(rolled.verdict).toBe(raw.verdict);
    expect(rolled.reasons).toEqual(raw.reasons);
    expect(rolled.treatmentArm.auc).toBeCloseTo(raw.treatmentArm.auc as number, 12);
    expect(rolled.controlArm.ece).toBeCloseTo(raw.controlArm.ece as number, 12);
    for (const side of ['controlArm', 'treatmentArm'] as const) {
      expect(rolled[side].decisionMix).toEqual(raw[side].decisionMix);
      expect([rolled[side].latencyP50, rolled[side].latencyP99]).toEqual([raw[side].latencyP50, raw[side].latencyP99]);
    }
    // The rollup folded the span's hours: the read used them (the folded part is most of the day).
    expect(rolled.since).toBe(raw.since);
  });


  it('tells a cutover (one version replaces another) from an experiment (both serve side by side)', async () => {
    const at = new Date(FIRST_END.getTime() + slot++ * 4 * DAY);
    const rows: Record<string, unknown>[] = [];
    const outcomes: Record<string, unknown>[] = [];
    // Every minute for six hours: `cutover` moves from v1 to v2 25 minutes before `at`; `split` alternates v1 and v2 for the last two hours.
    for (let m = 1; m <= 360; m++) {
      const time = new Date(at.getTime() - m * 60_000);
      const add = (model: string, version: string) => {
        const id = `${model}-${m}`;
        rows.push(eventRow({ time, id, issuer: 'BANK', region: 'EU', score: 0.8, model, version }));
        outcomes.push(outcomeRow(id, new Date(time.getTime() + 1_000), 1));
      };
      add('cutover', m <= 25 ? 'v2' : 'v1');
      add('split', m <= 120 && m % 2 === 0 ? 'v2' : 'v1');
    }
    await t.store.insert('scoring_events', rows);
    await t.store.insert('outcomes', outcomes);
    const found = (await judge(at)).filter((v) => v.model !== 'card-auth').map((v) => `${v.model} ${v.control}→${v.treatment}`);
    expect(found).toEqual(['split v1→v2']);
  });
});
