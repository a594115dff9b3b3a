// Hand-made shadows: an exact copy of live is held (never rejected), a slower copy is rejected; verdict changes are recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { runCycle } from '../../src/cycle.js';
import { refreshRollup, RollupState } from '../../src/rollup/index.js';
import type { QueryParams, Store } from '../../src/store/index.js';
import { recordVerdicts, shadowVerdictsDdl } from '../../src/alerts/verdicts.js';
import { shadowMonitor } from '../../src/monitors/shadow/index.js';
import type { CycleResult, ShadowVerdict } from '../../src/core/types.js';
import { runDocument } from '../../src/output.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectSameCycle } from '../rollup/compare.js';

const AT = new Date('2026-11-20T12:00:00Z');
/** Ten days later: live traffic only. */
const LIVE_ONLY_AT = new Date('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
let t: TempStore;
let result: CycleResult;

/**
 * 3,000 live transactions over the last 24 h with calibrated outcomes; each is scored again by shadow v2 (an
 * exact copy: score, decision, latency) and by v3 (the same scores, twice the latency). Six rows are duplicated.
 */
async function seedCopies(at: Date, shadows: boolean): Promise<void> {
  const random = rng(5);
  const events: Record<string, unknown>[] = [];
  const outcomes: Record<string, unknown>[] = [];
  for (let i = 0; i < 3000; i++) {
    const time = new Date(at.getTime() - random() * 24 * HOUR);
    const score = Math.min(1, 0.3 + 0.7 * random() ** 0.4);
    const decision = score >= 0.6 ? 'approve' : score >= 0.45 ? 'review' : 'decline';
    const latency = 20 + 30 * random();
    const spec = { time, id: `${at.getTime()}-${i}`, issuer: i % 2 ? 'BANK A' : 'BANK B', region: 'EU', score, decision, latency };
    events.push(eventRow({ ...spec, version: 'v1' }));
    if (shadows) {
      events.push(eventRow({ ...spec, variant: 'shadow', version: 'v2' }));
      events.push(eventRow({ ...spec, variant: 'shadow', version: 'v3', latency: 2 * latency }));
    }
    outcomes.push(outcomeRow(spec.id, new Date(time.getTime() + 60_000), random() < score ? 1 : 0));
    // A few rows written twice (a retried producer): one transaction must still count once.
    if (i % 500 === 0) events.push(eventRow({ ...spec, version: 'v1' }), ...(shadows ? [eventRow({ ...spec, variant: 'shadow', version: 'v2' })] : []));
  }
  await t.store.insert('scoring_events', events);
  await t.store.insert('outcomes', outcomes);
}

beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' } });
  await t.store.command(shadowVerdictsDdl(t.config));
  await seedCopies(AT, true);
  await seedCopies(LIVE_ONLY_AT, false);
  result = await runCycle(t.store, t.config, { at: AT, monitors: [shadowMonitor] });
});
afterAll(() => t.cleanup());

const verdictOf = (version: string) => result.shadow.find((s) => s.shadowVersion === version) as ShadowVerdict;

describe('a shadow identical to live', () => {
  it('is held for no measurable gain, never rejected: DeLong se = 0, p = 1', () => {
    const copy = verdictOf('v2');
    expect(copy.verdict).toBe('hold');
    expect(copy.reasons[0]).toBe('scores rank every transaction like live: no measurable gain');
    expect(copy.details).toMatchObject({ deltaAuc: 0, pValue: 1, deltaAucSe: 0, expectedApprovalChangePp: 0, worseSegments: [] });
    expect(copy.details?.spearman).toBeCloseTo(1, 12);
    expect(copy.details?.eceShadow).toBe(copy.details?.eceLive);
    expect(copy.details?.latencyP99Shadow).toBe(copy.details?.latencyP99Live);
  });

  it('agrees on every decision: agreement 1, a diagonal flip matrix', () => {
    const copy = verdictOf('v2');
    expect(copy.agreement).toBe(1);
    const flips = copy.details?.flipMatrix as Record<string, Record<string, number>>;
    for (const [live, row] of Object.entries(flips)) {
      for (const [shadow, n] of Object.entries(row)) if (live !== shadow) expect(n, `${live} → ${shadow}`).toBe(0);
    }
    expect(copy.details?.nMatched).toBe(3000);
    expect(Object.values(flips).reduce((sum, row) => sum + Object.values(row).reduce((a, b) => a + b, 0), 0)).toBe(3000);
    expect(Object.keys(flips).sort()).toEqual(['approve', 'decline', 'review']);
  });

  it('is a finding only when rejected: the slower copy is, for latency, at critical', () => {
    const slow = verdictOf('v3');
    expect(slow.verdict).toBe('reject');
    expect(slow.reasons[0]).toMatch(/^latency p99 over budget: 2\.00× live's/);
    const findings = runDocument(result).findings.filter((f) => f.monitor === 'shadow');
    expect(findings).toEqual([expect.objectContaining({ model: 'card-auth', segment: {}, feature: 'auc_delta', value: 0, severity: 'critical' })]);
  });
});

/** The store, recording the name of every select a cycle sends. */
function recording(): { store: Store; names: string[] } {
  const names: string[] = [];
  const store = new Proxy(t.store, {
    get: (target, prop) => {
      if (prop === 'select') return (query: string, params?: QueryParams, name = '') => (names.push(name), target.select(query, params, name));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, names };
}

/** The shadow monitor's cycle on the raw path and on the rollup path (refreshed first), recorded. */
async function bothPaths(at: Date): Promise<{ raw: CycleResult; rollup: CycleResult; rawNames: string[]; rollupNames: string[] }> {
  const rawReads = recording();
  const raw = await runCycle(rawReads.store, t.config, { at, monitors: [shadowMonitor], source: rawSource(rawReads.store, t.config) });
  const state = new RollupState();
  await refreshRollup(t.store, t.config, at, { state });
  const rollupReads = recording();
  const rollup = await runCycle(rollupReads.store, t.config, { at, monitors: [shadowMonitor], source: rollupSource(rollupReads.store, t.config, state) });
  return { raw, rollup, rawNames: rawReads.names, rollupNames: rollupReads.names };
}

describe('no shadow rows', () => {
  it('gives an empty shadow section and no shadow evaluations, without error', async () => {
    const live = await runCycle(t.store, t.config, { at: LIVE_ONLY_AT, monitors: [shadowMonitor] });
    expect(live.shadow).toEqual([]);
    expect(live.evaluations).toEqual([]);
    expect(runDocument(live).shadow).toEqual([]);
  });

  it('asks no comparison where no pair can be, on either path: only whether a shadow row is there', async () => {
    const { raw, rollup, rawNames, rollupNames } = await bothPaths(LIVE_ONLY_AT);
    expect(raw.shadow).toEqual([]);
    expect(rollup.shadow).toEqual([]);
    expect(rawNames).toContain('shadow_present');
    expect(rollupNames).toContain('rollup_shadow_present');
    expect([...rawNames, ...rollupNames]).not.toContain('shadow_compare');
  });

  it('compares where only folded hours hold the pairs (no shadow row in the raw pieces), as the raw path does', async () => {
    // Three hours after the last shadow row: the shadow hours up to two hours ago are folded, the raw pieces after
    // them (widened by an hour) hold no shadow row.
    const at = new Date(AT.getTime() + 3 * HOUR);
    const { raw, rollup, rollupNames } = await bothPaths(at);
    expect(rollupNames).toContain('shadow_compare');
    expect(rollup.shadow.map((v) => v.shadowVersion).sort()).toEqual(['v2', 'v3']);
    expectSameCycle(rollup, raw);
  });
});

describe('recordVerdicts', () => {
  const hold = (version: string, at: Date): ShadowVerdict => ({ model: 'card-auth', shadowVersion: version, verdict: 'hold', reasons: [`held at ${at.toISOString()}`] });

  it('returns a new shadow and every changed verdict, and nothing for an unchanged one', async () => {
    const t1 = new Date('2026-12-01T00:00:00Z');
    const t2 = new Date('2026-12-01T00:05:00Z');
    const t3 = new Date('2026-12-01T00:10:00Z');
    const first = await recordVerdicts(t.store, t.config, [hold('a1', t1), hold('a2', t1)], t1);
    expect(first.map((c) => [c.shadowVersion, c.previous, c.verdict.verdict])).toEqual([
      ['a1', undefined, 'hold'],
      ['a2', undefined, 'hold'],
    ]);
    expect(await recordVerdicts(t.store, t.config, [hold('a1', t2), hold('a2', t2)], t2)).toEqual([]);
    const promoted = { ...hold('a2', t3), verdict: 'promote' as const };
    const changes = await recordVerdicts(t.store, t.config, [hold('a1', t3), promoted], t3);
    expect(changes).toEqual([{ model: 'card-auth', shadowVersion: 'a2', previous: 'hold', previousAt: t2, verdict: promoted, at: t3 }]);
  });

  it('answers the same when one cycle is recorded twice (a retried cycle), and ignores no verdicts', async () => {
    const t1 = new Date('2026-12-02T00:00:00Z');
    const t2 = new Date('2026-12-02T00:05:00Z');
    await recordVerdicts(t.store, t.config, [hold('b1', t1)], t1);
    const rejected = { ...hold('b1', t2), verdict: 'reject' as const };
    const once = await recordVerdicts(t.store, t.config, [rejected], t2);
    const again = await recordVerdicts(t.store, t.config, [rejected], t2);
    expect(again).toEqual(once);
    expect(once.map((c) => c.previous)).toEqual(['hold']);
    expect(await recordVerdicts(t.store, t.config, [], t2)).toEqual([]);
  });
});
