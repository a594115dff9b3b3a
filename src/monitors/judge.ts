// The severity rule shared by the statistical monitors: an effect size past its threshold AND significant under the cycle's FDR.
import { benjaminiHochberg } from '../stats/index.js';
import type { Evaluation, Severity } from '../core/types.js';

export interface Levels {
  warning: number;
  critical: number;
}

/**
 * Severity of `magnitude` (an effect size, larger is worse) against warning/critical levels. An evaluation
 * with a q-value above the FDR level is `ok` whatever its size: on a 40-transaction issuer a large PSI or
 * approval change is usually noise, and the test says so. Evaluations without a test (data quality counts)
 * are judged on size alone.
 */
export function judge(magnitude: number, levels: Levels, qValue: number | undefined, fdr: number): { severity: Severity; threshold: number } {
  const significant = qValue === undefined || qValue <= fdr;
  if (significant && magnitude >= levels.critical) return { severity: 'critical', threshold: levels.critical };
  if (significant && magnitude >= levels.warning) return { severity: 'warning', threshold: levels.warning };
  return { severity: 'ok', threshold: levels.warning };
}

/**
 * Benjamini–Hochberg across every evaluation of the cycle that carries a p-value; sets `qValue` in place. Each
 * p-value is first multiplied by `renewals(e)` (at most 1 once multiplied): how many times more often its test
 * sees fresh data than a day window does (core/windows.ts `renewals`), so every window spends the same false-alarm
 * budget per day.
 */
export function controlFdr(evaluations: Evaluation[], fdr: number, renewals: (e: Evaluation) => number = () => 1): void {
  const tested = evaluations.filter((e) => e.pValue !== undefined && Number.isFinite(e.pValue));
  if (tested.length === 0) return;
  const { adjusted } = benjaminiHochberg(
    tested.map((e) => Math.min(1, (e.pValue as number) * renewals(e))),
    fdr,
  );
  tested.forEach((e, i) => {
    e.qValue = adjusted[i];
  });
}
