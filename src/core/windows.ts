// The reference and current windows of a cycle as of `at`, and their label-matured shifts.
import { formatDuration, type Config, type WindowSpec } from '../config/index.js';
import type { CurrentWindow, CycleWindows, TimeWindow } from './types.js';

function fixed(spec: WindowSpec): TimeWindow | undefined {
  return typeof spec === 'number' ? undefined : { from: new Date(spec.from), to: new Date(spec.to) };
}

/**
 * current = [at − current, at); reference = [current.from − reference, current.from).
 * Fixed dates replace either. Label-based monitors use `matured`: duration windows shifted back by the
 * maturity delay; fixed windows keep their start and end no later than at − maturity.
 */
export function resolveWindows(config: Config, at: Date): CycleWindows {
  const { reference: referenceSpec, maturity } = config.windows;
  const specs = currentSpecs(config);
  const shift = (window: TimeWindow, spec: WindowSpec): TimeWindow => {
    if (typeof spec === 'number') return { from: new Date(window.from.getTime() - maturity), to: new Date(window.to.getTime() - maturity) };
    const latest = at.getTime() - maturity;
    return { from: window.from, to: new Date(Math.max(window.from.getTime(), Math.min(window.to.getTime(), latest))) };
  };
  const currents = specs.map((spec): CurrentWindow => {
    const current = fixed(spec) ?? { from: new Date(at.getTime() - (spec as number)), to: at };
    return { name: windowName(spec), current, matured: shift(current, spec) };
  });
  const longest = currents[currents.length - 1] as CurrentWindow;
  const current = longest.current;
  const reference = fixed(referenceSpec) ?? { from: new Date(current.from.getTime() - (referenceSpec as number)), to: current.from };
  return { reference, current, matured: { reference: shift(reference, referenceSpec), current: longest.matured }, currents, maturity: { approved: maturity, source: config.windows.maturitySource } };
}

/** The configured current windows, shortest first (one unless `windows.current` is a list). */
function currentSpecs(config: Config): WindowSpec[] {
  const spec = config.windows.current;
  return Array.isArray(spec) ? spec : [spec];
}

/** `3600000` → `1h`; fixed dates → `fixed`. */
export function windowName(spec: WindowSpec): string {
  return typeof spec === 'number' ? formatDuration(spec) : 'fixed';
}

/**
 * Whether an evaluation is of the longest current window (or of the only one): what the per-segment gauges and
 * the history table show, so their series keep one value per segment and their meaning.
 */
export function ofLongestWindow(e: { window?: string }, windows: CycleWindows): boolean {
  return e.window === undefined || e.window === windows.currents[windows.currents.length - 1]?.name;
}

/** Whether the config judges several current windows (then each evaluation and finding names its window). */
export function judgesSeveralWindows(config: Config): boolean {
  return currentSpecs(config).length > 1;
}

/**
 * How many times more often an evaluation's window sees fresh data than a day window: 24h / its length for a
 * current window shorter than a day (96 for 15m, 24 for 1h, 4 for 6h), else 1 (a day or longer, fixed dates, the
 * sequential test, which accounts for its own looks). Under no change, a 15-minute window judged all day is 96
 * independent tests where a day window is one: multiplying its p-value by 96 (Bonferroni over the day's windows)
 * keeps its chance of a false alarm per day at the day window's, so short windows add speed, not false alarms
 * (docs/architecture.md, "Noticing in minutes").
 */
export function renewals(e: { window?: string }, windows: CycleWindows): number {
  // One configured window: evaluations carry no window name, and it is that one.
  const window = e.window === undefined && windows.currents.length === 1 ? windows.currents[0] : windows.currents.find((w) => w.name === e.window);
  if (!window || window.name === 'fixed') return 1;
  return Math.max(1, 24 / windowHours(window.current));
}

/** Hours in a window (fractional). */
export function windowHours(window: TimeWindow): number {
  return (window.to.getTime() - window.from.getTime()) / 3_600_000;
}
