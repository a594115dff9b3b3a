// Shared shifts: a value of a segment column is claimed shifted only when several of its segments moved.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { Evaluation } from '../../src/core/types.js';
import { judgeSharedShifts } from '../../src/monitors/shared.js';
import { seededRandom } from '../stats/support.js';

const config = parseConfig({});
const ISSUERS = Array.from({ length: 20 }, (_, i) => `ISS-${i}`);
const REGIONS = ['NA', 'EU', 'APAC', 'LATAM'];

/** One approval_rate evaluation per issuer × region; `p` decides each segment's p-value (critical when tiny). */
function cycleOf(p: (issuer: string, region: string) => number): Evaluation[] {
  return ISSUERS.flatMap((issuer) =>
    REGIONS.map((region): Evaluation => {
      const pValue = p(issuer, region);
      return {
        monitor: 'approval_rate', model: 'card-auth', segment: { issuer, region }, feature: 'delta', value: pValue < 1e-6 ? -0.2 : -0.01,
        threshold: 0.08, severity: pValue < 1e-6 ? 'critical' : 'ok', nCurrent: 500, nReference: 4000, pValue,
      };
    }),
  );
}

describe('judgeSharedShifts', () => {
  it('finds a region whose issuers all moved, and says how many at least', () => {
    const uniform = seededRandom(11);
    const shared = judgeSharedShifts(cycleOf((_, region) => (region === 'APAC' ? 1e-12 * (1 + uniform()) : uniform())), config, () => 1);
    expect(shared.map((s) => [s.column, s.value, s.segments, s.critical])).toEqual([['region', 'APAC', 20, 20]]);
    expect(shared[0]?.atLeast).toBe(20);
    expect(shared[0]?.qValue).toBeLessThan(config.fdr);
  });

  it('does not call one strong segment (an outage of one issuer in one region) a shared shift', () => {
    const uniform = seededRandom(12);
    const evaluations = cycleOf((issuer, region) => (issuer === 'ISS-3' && region === 'EU' ? 1e-80 : uniform()));
    expect(judgeSharedShifts(evaluations, config, () => 1)).toEqual([]);
  });

  it('needs two critical segments: significant but small shifts roll nothing up', () => {
    const evaluations = cycleOf((_, region) => (region === 'NA' ? 1e-4 : 0.5)).map((e) => ({ ...e, severity: 'ok' as const }));
    expect(judgeSharedShifts(evaluations, config, () => 1)).toEqual([]);
  });

  it('scales each p-value by its window renewals, as the cycle FDR pass does', () => {
    const evaluations = cycleOf((_, region) => (region === 'APAC' ? 1e-6 : 0.5)).map((e) => ({ ...e, severity: e.segment.region === 'APAC' ? ('critical' as const) : e.severity }));
    expect(judgeSharedShifts(evaluations, config, () => 1)).toHaveLength(1);
    expect(judgeSharedShifts(evaluations, config, () => 10_000)).toEqual([]);
  });

  it('claims no shared shift on 500 clean cycles (p-values uniform, a few segments critical by chance)', () => {
    const uniform = seededRandom(13);
    let claims = 0;
    for (let run = 0; run < 500; run++) {
      const evaluations = cycleOf(() => uniform()).map((e) => ({ ...e, severity: (e.pValue as number) < 0.01 ? ('critical' as const) : ('ok' as const) }));
      claims += judgeSharedShifts(evaluations, config, () => 1).length;
    }
    expect(claims).toBe(0);
  });

  it('has nothing to roll up with one segment column, and leaves shadows and untested values out', () => {
    const one = parseConfig({ segments: ['issuer'] });
    expect(judgeSharedShifts(cycleOf(() => 1e-12).map((e) => ({ ...e, segment: { issuer: e.segment.issuer as string } })), one, () => 1)).toEqual([]);
    const shadows = cycleOf(() => 1e-12).map((e) => ({ ...e, shadowVersion: 'v2' }));
    expect(judgeSharedShifts(shadows, config, () => 1)).toEqual([]);
    const untested = cycleOf(() => 1e-12).map(({ pValue: _, ...e }) => e as Evaluation);
    expect(judgeSharedShifts(untested, config, () => 1)).toEqual([]);
  });
});
