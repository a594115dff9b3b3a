// Acceptance for "notice in minutes" (issue 16), with the defaults a user gets (no windows key): the window set,
// the sequential test and the learned maturity, one `run --once` at the given time after an incident's onset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleMaturity } from '../../src/aggregates/maturity.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import type { CycleResult } from '../../src/core/types.js';
import { runCycle } from '../../src/cycle.js';
import { prepareCycle } from '../../src/prepare.js';
import { ensureTables } from '../../src/setup.js';
import { chTime } from '../../src/store/index.js';
import { seed, type ScenarioName, type ScenarioTarget } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const MINUTE = 60_000;
const END = new Date('2026-11-20T12:00:00Z');
/** About 70 live events an hour at the outage's issuer (Eurobanca/EU): the issue's ~70-an-hour segment. */
const EVENTS_PER_DAY = 25_000;
let t: TempStore;

beforeAll(async () => {
  t = await tempStore();
}, 60_000);
afterAll(() => t.cleanup());

/** A data set in tables of its own, the incident `minutesAgo` old at END, and one cycle as `run --once` runs it. */
async function runOnceAfter(name: string, scenario: ScenarioName, minutesAgo: number, eventsPerDay = EVENTS_PER_DAY): Promise<{ config: Config; target: ScenarioTarget; perHour: number; result: CycleResult }> {
  // The performance monitor is off: these cases are about minutes, which it does not judge (monitors.performance.minWindow).
  const config = parseConfig({ store: { path: t.config.store.path }, tables: { events: `ev_${name}`, outcomes: `out_${name}`, history: `hist_${name}` }, monitors: { performance: { enabled: false } } });
  await ensureTables(t.store, config);
  const summary = await seed(t.store, config, { days: 9, end: END, seed: 5, scenarios: [scenario], eventsPerDay, incidentStart: new Date(END.getTime() - minutesAgo * MINUTE) });
  const target = summary.targets[0] as ScenarioTarget;
  const [row] = await t.store.select<{ n: string }>(
    `SELECT count() AS n FROM ev_${name} WHERE variant = 'live' AND model = {model:String} AND issuer = {issuer:String} AND region = {region:String}
       AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
    { model: target.model, issuer: target.segment.issuer ?? '', region: target.segment.region ?? '', from: chTime(END.getTime() - 8 * 86_400_000), to: chTime(END.getTime() - 86_400_000) },
  );
  const settled = (await settleMaturity(t.store, config, END)).config;
  const result = await runCycle(t.store, settled, await prepareCycle(t.store, settled, END));
  return { config: settled, target, perHour: Number(row?.n) / (7 * 24), result };
}

const on = (target: ScenarioTarget) => (f: { model: string; segment: Record<string, string> }) =>
  f.model === target.model && f.segment.issuer === target.segment.issuer && f.segment.region === target.segment.region;

describe('notice in minutes, with the defaults', () => {
  it('an outage of a ~70-an-hour issuer is critical 30 minutes after its onset', async () => {
    const { config, target, perHour, result } = await runOnceAfter('outage', 'issuer-outage', 30);
    expect(perHour).toBeGreaterThan(50);
    expect(perHour).toBeLessThan(100);
    // Authorisation outcomes arrive in seconds: the maturity learned is two minutes, not two hours.
    expect(config.windows).toMatchObject({ maturity: 2 * MINUTE, maturitySource: 'learned' });
    const approval = result.findings.find((f) => on(target)(f) && f.monitor === 'approval_rate' && f.feature === 'delta');
    expect(approval, JSON.stringify(result.findings.map((f) => [f.monitor, f.segment, f.window, f.severity]))).toMatchObject({ severity: 'critical' });
    expect(approval?.value).toBeLessThan(-0.3);
    // Nothing else in the model is critical: the other segments are clean traffic.
    expect(result.findings.filter((f) => f.severity === 'critical' && !on(target)(f) && f.monitor !== 'quality').map((f) => [f.monitor, f.segment, f.feature, f.window])).toEqual([]);
  }, 180_000);

  it('a regional score drift is critical for its largest segment within the hour', async () => {
    const { target, result } = await runOnceAfter('drift', 'score-drift', 60);
    const psi = result.findings.find((f) => on(target)(f) && f.monitor === 'psi' && f.feature === 'score');
    expect(psi, JSON.stringify(result.findings.map((f) => [f.monitor, f.segment, f.feature, f.window, f.severity]))).toMatchObject({ severity: 'critical' });
  }, 180_000);

  it("a regional score drift is found by the score's sequential test within 15 minutes, dated from its onset", async () => {
    // ~120 events an hour at the region's largest issuer: 15 minutes hold ~30 of its shifted scores.
    const { target, result } = await runOnceAfter('drift_seq', 'score-drift', 15, 120_000);
    const sequential = result.evaluations.find((e) => on(target)(e) && e.monitor === 'psi' && e.feature === 'score' && e.window === 'sequential');
    expect(sequential, JSON.stringify(result.findings.map((f) => [f.monitor, f.segment, f.feature, f.window, f.severity]))).toMatchObject({ severity: 'critical' });
    const details = sequential?.details as { since: string; currentBins: number[] };
    // The strongest span starts at the onset, on the five-minute grid.
    expect(Date.parse(details.since)).toBeGreaterThanOrEqual(END.getTime() - 20 * MINUTE);
    expect(Date.parse(details.since)).toBeLessThanOrEqual(END.getTime() - 10 * MINUTE);
    // Clean segments: no sequential score finding at all.
    expect(result.findings.filter((f) => f.window === 'sequential' && f.monitor === 'psi' && f.segment.region !== target.segment.region)).toEqual([]);
  }, 180_000);
});
