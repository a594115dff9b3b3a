// Compares two cycle results the way the rollup issue asks: same evaluations and severities, values within 1e-9.
import { expect } from 'vitest';
import type { CycleResult, Evaluation } from '../../src/core/types.js';

const key = (e: Evaluation) => `${e.monitor} ${e.model} ${JSON.stringify(e.segment)} ${e.feature} ${e.window ?? ''}`;

/** Relative for large values, absolute near zero: sums are added in another order, so the last bits differ. */
function close(a: number | undefined, b: number | undefined, what: string): void {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) {
    expect(a, what).toEqual(b);
    return;
  }
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));
}

export function expectSameCycle(rollup: CycleResult, raw: CycleResult): void {
  // Keys repeat (shadow evaluations of two shadow versions): pair them in order of value.
  const ordered = (list: Evaluation[]) => [...list].sort((a, b) => (key(a) === key(b) ? a.value - b.value : key(a) < key(b) ? -1 : 1));
  const expected = ordered(raw.evaluations);
  const actual = ordered(rollup.evaluations);
  expect(actual.map(key)).toEqual(expected.map(key));
  for (const [i, e] of actual.entries()) {
    const r = expected[i] as Evaluation;
    const what = key(e);
    expect(e.severity, what).toBe(r.severity);
    expect([e.nCurrent, e.nReference], what).toEqual([r.nCurrent, r.nReference]);
    close(e.value, r.value, `${what} value`);
    close(e.pValue, r.pValue, `${what} p`);
    close(e.qValue, r.qValue, `${what} q`);
  }
  expect(rollup.models).toEqual(raw.models);
  expectSameVerdicts(rollup, raw);
  expect(rollup.quality).toEqual(raw.quality);
  expect(rollup.findings.map(key).sort()).toEqual(raw.findings.map(key).sort());
}

/** Numbers within `close`, everything else (verdicts, reasons, flip matrices, versions) equal, at any depth. */
function expectCloseDeep(a: unknown, b: unknown, what: string): void {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b, what);
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), what).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expectCloseDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${what}.${k}`);
    return;
  }
  expect(a, what).toEqual(b);
}

/**
 * Shadow verdicts: the same verdicts and reasons, and the same details (AUCs, ECEs, latency quantiles, flips); and
 * experiments: the same arms, counts, lift, interval, SRM and verdict with its reasons.
 */
function expectSameVerdicts(rollup: CycleResult, raw: CycleResult): void {
  const id = (v: CycleResult['shadow'][number]) => `${v.model} ${v.shadowVersion}`;
  expect(rollup.shadow.map(id)).toEqual(raw.shadow.map(id));
  rollup.shadow.forEach((v, i) => expectCloseDeep(v, raw.shadow[i], `shadow ${id(v)}`));
  const arms = (v: NonNullable<CycleResult['experiments']>[number]) => `${v.model} ${v.control} ${v.treatment}`;
  expect((rollup.experiments ?? []).map(arms)).toEqual((raw.experiments ?? []).map(arms));
  (rollup.experiments ?? []).forEach((v, i) => expectCloseDeep(v, raw.experiments?.[i], `experiment ${arms(v)}`));
}
