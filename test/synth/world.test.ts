import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { HOUR_MS, hourCount, planTraffic } from '../../src/synth/calendar.js';
import { describeTargets, planScenarios, segmentOf } from '../../src/synth/scenarios.js';
import { SCENARIOS } from '../../src/synth/index.js';
import { cumulative, HOME_SHARE, issuers, REGIONS, ZIPF, zipfShare } from '../../src/synth/world.js';

const END = Date.parse('2026-11-24T12:00:00Z');

describe('issuer universe', () => {
  it('has 2,000 issuers with readable names on top and ISS-nnnn below, the same in every call', () => {
    const list = issuers();
    expect(list).toHaveLength(ZIPF.issuers);
    expect(list[0]?.name).toBe('Northbank');
    expect(list.slice(0, 20).every((i) => !i.name.startsWith('ISS-'))).toBe(true);
    expect(list[20]?.name).toBe('ISS-0021');
    expect(list[1999]?.name).toBe('ISS-2000');
    expect(new Set(list.map((i) => i.name)).size).toBe(ZIPF.issuers);
    expect(issuers()).toBe(list);
  });

  it('gives Zipf-like shares that sum to 1 and fall with rank', () => {
    const shares = issuers().map((i) => i.share);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let k = 1; k < shares.length; k++) expect(shares[k]).toBeLessThan(shares[k - 1] as number);
    // s = 1.1: rank 1 vs rank 10 is about 10^1.1 ≈ 12.6.
    expect(zipfShare(1) / zipfShare(10)).toBeGreaterThan(10);
    expect(zipfShare(1) / zipfShare(10)).toBeLessThan(16);
  });

  it('puts every region on the map and most issuers at 0.85–0.95 approval, some at 0.6–0.8', () => {
    const list = issuers();
    for (let r = 0; r < REGIONS.length; r++) expect(list.filter((i) => i.home === r).length).toBeGreaterThan(50);
    const high = list.filter((i) => i.approval >= 0.85 && i.approval <= 0.95).length / list.length;
    const low = list.filter((i) => i.approval >= 0.6 && i.approval <= 0.8).length / list.length;
    expect(high).toBeGreaterThan(0.75);
    expect(low).toBeGreaterThan(0.08);
    expect(HOME_SHARE).toBeCloseTo(0.85);
  });

  it('builds cumulative weights that end exactly at 1', () => {
    expect(cumulative([1, 1, 2])).toEqual([0.25, 0.5, 1]);
  });
});

describe('traffic calendar', () => {
  it('spreads about eventsPerDay a day over the hours, busier afternoons and weekdays', () => {
    const plan = planTraffic(END, 14 * 24, 100_000);
    expect(plan.fromMs).toBe(END - 14 * 24 * HOUR_MS);
    expect(plan.total / 14).toBeGreaterThan(97_000);
    expect(plan.total / 14).toBeLessThan(103_000);
    const tuesday = Date.parse('2026-11-24T00:00:00Z');
    expect(hourCount(tuesday + 15 * HOUR_MS, 100_000)).toBeGreaterThan(2.5 * hourCount(tuesday + 3 * HOUR_MS, 100_000));
    const sunday = Date.parse('2026-11-22T15:00:00Z');
    expect(hourCount(sunday, 100_000)).toBeLessThan(0.85 * hourCount(tuesday + 15 * HOUR_MS, 100_000));
  });

  it('cuts chunks at UTC midnight with consistent offsets and cumulative counts', () => {
    const plan = planTraffic(END, 72, 24_000);
    expect(plan.chunks.map((c) => new Date(c.startMs).toISOString())).toEqual([
      '2026-11-21T12:00:00.000Z', '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z',
    ]);
    let offset = 0;
    for (const chunk of plan.chunks) {
      expect(chunk.offset).toBe(offset);
      expect(chunk.cum.at(-1)).toBe(chunk.count);
      expect(chunk.cum.length).toBeLessThanOrEqual(24);
      offset += chunk.count;
    }
    expect(offset).toBe(plan.total);
  });
});

describe('scenario targets', () => {
  const config = parseConfig({});
  const plan = planScenarios([...SCENARIOS], END - 14 * 24 * HOUR_MS, END - 12 * HOUR_MS, false);
  const targets = describeTargets(config, [...SCENARIOS], plan, { fromMs: END - 14 * 24 * HOUR_MS, toMs: END }, { nan: 1, infinite: 2, outOfRange: 3, duplicates: 4 });

  it('picks distinct top-10 issuers in their home regions, and reports one target per scenario', () => {
    expect(targets.map((t) => t.scenario)).toEqual([...SCENARIOS]);
    const top10 = new Set(issuers().slice(0, 10).map((i) => i.name));
    const segmentTargets = targets.filter((t) => t.segment.issuer !== undefined);
    expect(segmentTargets.map((t) => t.scenario)).toEqual(['issuer-outage', 'score-drift', 'miscalibration', 'ranking-decay']);
    for (const target of segmentTargets) {
      expect(top10.has(target.segment.issuer as string)).toBe(true);
      const issuer = issuers().find((i) => i.name === target.segment.issuer);
      expect(REGIONS[issuer?.home ?? -1]?.name).toBe(target.segment.region);
    }
    expect(new Set(segmentTargets.map((t) => t.segment.region)).size).toBe(4);
    // network-shift takes a whole region no other scenario touches.
    expect(targets.find((t) => t.scenario === 'network-shift')?.segment).toEqual({ region: 'MEA' });
    expect(segmentTargets.map((t) => t.segment.region)).not.toContain('MEA');
    expect(targets.find((t) => t.scenario === 'bad-rows')?.description).toMatch(/1 NaN, 2 \+Inf, 3 outside.*4 duplicate/);
  });

  it('runs shadow scenarios over the whole range unless incidentStart is explicit, on v42 and v43 when both run', () => {
    const better = targets.find((t) => t.scenario === 'shadow-better');
    const worse = targets.find((t) => t.scenario === 'shadow-worse');
    expect(better?.shadowVersion).toBe('v42');
    expect(worse?.shadowVersion).toBe('v43');
    expect(better?.from.getTime()).toBe(END - 14 * 24 * HOUR_MS);
    expect(targets.find((t) => t.scenario === 'issuer-outage')?.from.getTime()).toBe(END - 12 * HOUR_MS);
    const explicit = planScenarios(['shadow-worse'], END - 14 * 24 * HOUR_MS, END - 6 * HOUR_MS, true);
    expect(explicit.shadowFromMs).toBe(END - 6 * HOUR_MS);
    expect(explicit.shadowMode).toBe(2);
    expect(explicit.secondShadow).toBe(false);
  });

  it('names segments by the configured segment columns', () => {
    const renamed = parseConfig({ segments: ['bank', 'region', 'card_network'], columns: { events: { issuer: 'bank' } } });
    expect(segmentOf(renamed, 'Northbank', 'NA')).toEqual({ bank: 'Northbank', region: 'NA' });
    expect(segmentOf(parseConfig({ segments: ['region'] }), 'Northbank', 'NA')).toEqual({ region: 'NA' });
  });
});
