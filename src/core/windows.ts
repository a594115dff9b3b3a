// The reference and current windows of a cycle as of `at`, and their label-matured shifts.
import type { Config, WindowSpec } from '../config/index.js';
import type { CycleWindows, TimeWindow } from './types.js';

function fixed(spec: WindowSpec): TimeWindow | undefined {
  return typeof spec === 'number' ? undefined : { from: new Date(spec.from), to: new Date(spec.to) };
}

/**
 * current = [at − current, at); reference = [current.from − reference, current.from).
 * Fixed dates replace either. Label-based monitors use `matured`: duration windows shifted back by the
 * maturity delay; fixed windows keep their start and end no later than at − maturity.
 */
export function resolveWindows(config: Config, at: Date): CycleWindows {
  const { current: currentSpec, reference: referenceSpec, maturity } = config.windows;
  const current = fixed(currentSpec) ?? { from: new Date(at.getTime() - (currentSpec as number)), to: at };
  const reference = fixed(referenceSpec) ?? { from: new Date(current.from.getTime() - (referenceSpec as number)), to: current.from };
  const shift = (window: TimeWindow, spec: WindowSpec): TimeWindow => {
    if (typeof spec === 'number') return { from: new Date(window.from.getTime() - maturity), to: new Date(window.to.getTime() - maturity) };
    const latest = at.getTime() - maturity;
    return { from: window.from, to: new Date(Math.max(window.from.getTime(), Math.min(window.to.getTime(), latest))) };
  };
  return { reference, current, matured: { reference: shift(reference, referenceSpec), current: shift(current, currentSpec) } };
}

/** Hours in a window (fractional). */
export function windowHours(window: TimeWindow): number {
  return (window.to.getTime() - window.from.getTime()) / 3_600_000;
}
