// A whole cycle on hand-made data: what is judged, what is not, and the wrong-way cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import type { PsiDetails } from '../../src/monitors/psi/index.js';
import { runDocument } from '../../src/output.js';
import { AT, seedSmallFixture } from '../helpers/fixture.js';
import { tempStore, type TempStore } from '../helpers/store.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100 });
  await seedSmallFixture(t);
});
afterAll(() => t.cleanup());

const key = (e: { monitor: string; segment: Record<string, string>; feature: string }) =>
  `${e.monitor} ${Object.values(e.segment).join('/') || '(all)'} ${e.feature}`;

describe('a cycle on the small fixture', () => {
  it('finds the outage at BANK B/NA in approval rate and calibration, at critical', async () => {
    const result = await runCycle(t.store, t.config, { at: AT });
    const critical = result.findings.filter((f) => f.severity === 'critical').map(key);
    expect(critical).toContain('approval_rate BANK B/NA delta');
    expect(critical).toContain('calibration BANK B/NA ece');
    const outage = result.findings.find((f) => key(f) === 'approval_rate BANK B/NA delta');
    expect(outage?.value).toBeLessThan(-0.15);
    expect(outage?.qValue).toBeLessThan(t.config.fdr);
  });

  it('does not judge a segment present in only one window', async () => {
    const result = await runCycle(t.store, t.config, { at: AT });
    expect(result.evaluations.filter((e) => e.segment.issuer === 'GONE' && e.monitor !== 'approval_rate')).toEqual([]);
    expect(result.evaluations.filter((e) => e.segment.issuer === 'GONE')).toEqual([]);
  });

  it('judges an all-approved segment without error and finds nothing there', async () => {
    const result = await runCycle(t.store, t.config, { at: AT });
    // Judged on the windows it fills and by the sequential test: a rate of 1 against 1 everywhere.
    const bankC = result.evaluations.filter((e) => e.segment.issuer === 'BANK C' && e.monitor === 'approval_rate');
    expect(bankC.map((e) => e.window)).toContain('sequential');
    expect(bankC.length).toBeGreaterThan(1);
    for (const e of bankC) expect(e).toMatchObject({ value: 0, pValue: 1, severity: 'ok' });
  });

  it('counts bad scores in quality and keeps them out of the statistics', async () => {
    const result = await runCycle(t.store, t.config, { at: AT });
    expect(result.quality.badScores).toBe(5);
    const psiA = result.evaluations.find((e) => key(e) === 'psi BANK A/EU score');
    const binned = (psiA?.details as PsiDetails).currentBins.reduce((a, b) => a + b, 0);
    expect(psiA?.nCurrent).toBe(binned);
    expect(result.evaluations.every((e) => Number.isFinite(e.value))).toBe(true);
  });

  it('produces the documented run --json document', async () => {
    const doc = runDocument(await runCycle(t.store, t.config, { at: AT }));
    expect(doc.at).toBe('2026-11-20T12:00:00.000Z');
    expect(doc.windows.current).toEqual({ from: '2026-11-19T12:00:00.000Z', to: '2026-11-20T12:00:00.000Z' });
    expect(doc.windows.reference).toEqual({ from: '2026-11-12T12:00:00.000Z', to: '2026-11-19T12:00:00.000Z' });
    for (const f of doc.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['monitor', 'model', 'segment', 'feature', 'value', 'threshold', 'severity', 'nCurrent', 'nReference']));
      expect(['warning', 'critical']).toContain(f.severity);
    }
    expect(doc.quality).toMatchObject({ rows: expect.any(Number), badScores: 5, missingOutcomes: expect.any(Number) });
  });
});

describe('wrong-way cases', () => {
  it('empty windows give no statistics, no error, and one quality warning saying so (not a silent all-clear)', async () => {
    const result = await runCycle(t.store, t.config, { at: new Date('2020-01-01T00:00:00Z') });
    expect(result.models).toEqual([]);
    expect(result.findings).toEqual([expect.objectContaining({ monitor: 'quality', model: '', feature: 'no_data', severity: 'warning', nCurrent: 0, nReference: 0 })]);
  });

  it('a configured model without data gets a zero quality line and no statistics', async () => {
    const config = { ...t.config, models: ['ghost-model'] };
    const result = await runCycle(t.store, config, { at: AT });
    expect(result.models).toEqual(['ghost-model']);
    expect(result.quality.rows).toBe(0);
    expect(result.evaluations.filter((e) => e.monitor !== 'quality')).toEqual([]);
    expect(result.findings.map((f) => [f.model, f.feature, f.severity])).toContainEqual(['ghost-model', 'no_data', 'warning']);
  });

  it('a segment under minVolume a day is never judged, whatever its numbers; one above it is, on short windows too', async () => {
    const config = { ...t.config, minVolume: 200 };
    const result = await runCycle(t.store, config, { at: AT });
    // minVolume is a size per 24 h of the reference (7 days here): 1,400 events; a window under test holds ≥ 30.
    const judged = result.evaluations.filter((x) => x.monitor !== 'quality');
    for (const e of judged) {
      expect(e.nReference).toBeGreaterThanOrEqual(1400);
      if (e.window !== 'sequential') expect(e.nCurrent).toBeGreaterThanOrEqual(30);
    }
    expect(judged.some((e) => e.window !== 'sequential' && e.nCurrent < 200)).toBe(true);
  });
});
