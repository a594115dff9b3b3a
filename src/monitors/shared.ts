// Shared shifts: the segments of one value of a segment column (a region, a card network) moving together.
import type { Config } from '../config/index.js';
import type { Evaluation, SharedShift } from '../core/types.js';
import { benjaminiHochberg, partialConjunction, sharedCount } from '../stats/index.js';

/** A value shared by fewer segments has nothing to roll up. */
const MIN_SEGMENTS = 2;

interface Family {
  shift: Omit<SharedShift, 'pValue' | 'qValue' | 'atLeast'>;
  pValues: number[];
}

/**
 * Every value of every segment column (with two or more columns: with one, a value is a segment) is tested per
 * model × monitor × feature × window: the partial-conjunction p-value of "at least two of its segments shifted"
 * (stats/partial-conjunction.ts), each segment's p-value first scaled by its window's renewals as in the cycle's
 * FDR pass. Benjamini–Hochberg over these tests at `config.fdr` keeps the share of false "shared" claims at that
 * level; they are a family of their own because they only decide how alerts that already page are announced
 * (docs/architecture.md, "Incidents"). Returned: the values that pass and have at least two critical segments,
 * strongest first.
 */
export function judgeSharedShifts(evaluations: readonly Evaluation[], config: Config, renewals: (e: Evaluation) => number): SharedShift[] {
  if (config.segments.length < 2) return [];
  const families = new Map<string, Family>();
  for (const e of evaluations) {
    if (e.shadowVersion !== undefined || e.pValue === undefined || !Number.isFinite(e.pValue)) continue;
    if (!config.segments.every((column) => column in e.segment)) continue;
    const p = Math.min(1, Math.max(0, e.pValue * renewals(e)));
    for (const column of config.segments) {
      const value = e.segment[column] as string;
      const key = JSON.stringify([e.model, e.monitor, e.feature, e.window ?? '', column, value]);
      let family = families.get(key);
      if (!family) {
        family = { shift: { model: e.model, column, value, monitor: e.monitor, feature: e.feature, ...(e.window !== undefined ? { window: e.window } : {}), segments: 0, critical: 0 }, pValues: [] };
        families.set(key, family);
      }
      family.pValues.push(p);
      family.shift.segments++;
      if (e.severity === 'critical') family.shift.critical++;
    }
  }
  const tested = [...families.values()].filter((f) => f.pValues.length >= MIN_SEGMENTS);
  if (tested.length === 0) return [];
  const pValues = tested.map((f) => partialConjunction(f.pValues, 2));
  const { adjusted } = benjaminiHochberg(pValues, config.fdr);
  // BH's threshold, fdr·k/m for its k rejections of m tests: "at least u" is read at that same level.
  const cut = (config.fdr * adjusted.filter((q) => q <= config.fdr).length) / tested.length;
  const passing: SharedShift[] = [];
  tested.forEach((family, i) => {
    const qValue = adjusted[i] as number;
    if (qValue > config.fdr || family.shift.critical < MIN_SEGMENTS) return;
    passing.push({ ...family.shift, atLeast: sharedCount(family.pValues, cut), pValue: pValues[i] as number, qValue });
  });
  return passing.sort((a, b) => b.atLeast - a.atLeast || a.pValue - b.pValue);
}
