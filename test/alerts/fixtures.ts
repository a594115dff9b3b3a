// Building blocks for alert tests: evaluations and cycle results with only what the engine reads.
import type { CycleResult, Evaluation, Severity, SharedShift } from '../../src/core/types.js';
import { isFinding } from '../../src/core/types.js';

export const T0 = Date.parse('2026-11-24T12:00:00Z');
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** The cycle `n` five-minute steps after T0. */
export const at = (n: number) => new Date(T0 + n * 5 * MINUTE);

export function evaluation(over: Partial<Evaluation> = {}): Evaluation {
  return {
    monitor: 'approval_rate',
    model: 'card-auth',
    segment: { issuer: 'Chase', region: 'EU' },
    feature: 'delta',
    value: -0.1,
    threshold: 0.08,
    severity: 'critical',
    nCurrent: 1200,
    nReference: 5600,
    pValue: 1.2e-6,
    ...over,
  };
}

export const withSeverity = (severity: Severity, over: Partial<Evaluation> = {}) =>
  evaluation({ severity, value: severity === 'critical' ? -0.1 : severity === 'warning' ? -0.05 : -0.01, ...over });

export function cycle(time: Date, evaluations: Evaluation[], shared: SharedShift[] = []): CycleResult {
  const window = { from: new Date(time.getTime() - 24 * HOUR), to: time };
  return {
    at: time,
    windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
    models: [...new Set(evaluations.map((e) => e.model))],
    evaluations,
    findings: evaluations.filter(isFinding),
    shadow: [],
    quality: { rows: 0, badScores: 0, missingOutcomes: 0, duplicates: 0 },
    shared,
    durationMs: 1,
  };
}

/** A shared shift of `column` = `value` on approval_rate's delta, as monitors/shared.ts reports one that passed. */
export function sharedShift(column: string, value: string, over: Partial<SharedShift> = {}): SharedShift {
  return { model: 'card-auth', column, value, monitor: 'approval_rate', feature: 'delta', segments: 40, critical: 40, atLeast: 38, pValue: 1e-20, qValue: 1e-19, ...over };
}
