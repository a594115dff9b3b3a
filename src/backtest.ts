// `driftwatch backtest`: the daemon's cycles replayed as of each step of a past range, with the alert lifecycle, sending nothing.
import { AlertEngine } from './alerts/index.js';
import type { AlertView } from './alerts/types.js';
import type { Config } from './config/index.js';
import type { Segment, Severity } from './core/types.js';
import { resolveWindows } from './core/windows.js';
import { runCycle } from './cycle.js';
import { silentLogger, type Logger } from './log.js';
import { prepareCycle } from './prepare.js';
import { RollupState } from './rollup/index.js';
import type { Store } from './store/index.js';

/** One alert as the replay saw it: fired at a step, resolved at a later one (null while firing at the end). */
export interface BacktestAlert {
  monitor: string;
  model: string;
  segment: Segment;
  feature: string;
  /** The current window the alert was judged on, e.g. `24h` (`fixed` for a window with fixed dates). */
  window: string;
  shadowVersion?: string;
  /** The highest severity the alert reached while firing. */
  severity: Exclude<Severity, 'ok'>;
  firedAt: Date;
  resolvedAt: Date | null;
}

export interface BacktestResult {
  steps: number;
  from: Date;
  to: Date;
  everyMs: number;
  alerts: BacktestAlert[];
}

export interface BacktestOptions {
  from: Date;
  to: Date;
  everyMs: number;
  logger?: Logger;
  /** Called after each step (a progress bar). */
  onStep?: (done: number, total: number) => void;
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

/** The steps of a replay: `from`, then every `everyMs`, up to and including `to`. */
export function backtestSteps(from: Date, to: Date, everyMs: number): Date[] {
  const steps: Date[] = [];
  for (let t = from.getTime(); t <= to.getTime(); t += everyMs) steps.push(new Date(t));
  return steps;
}

/**
 * Replays the daemon: each step folds what the rollup lacks as of that time (through one rollup state, as the
 * daemon's cycles do) and runs a cycle as of it; an in-memory alert engine applies `alerts.for`,
 * `resolveAfter` and the silences. Nothing is sent and no history, alert state or outbox row is written; the
 * rollup's own tables are folded as they would be for `run --once`.
 */
export async function backtest(store: Store, config: Config, options: BacktestOptions): Promise<BacktestResult> {
  const logger = options.logger ?? silentLogger;
  const steps = backtestSteps(options.from, options.to, options.everyMs);
  const state = new RollupState();
  const engine = AlertEngine.inMemory(config);
  // An alert whose evaluations name no window (one current window) was judged on the longest: its name.
  const window = resolveWindows(config, options.to).currents.at(-1)?.name ?? 'fixed';
  const open = new Map<string, BacktestAlert>();
  const alerts: BacktestAlert[] = [];
  for (const [i, at] of steps.entries()) {
    const result = await runCycle(store, config, { logger, ...(await prepareCycle(store, config, at, { logger, state })) });
    await engine.observe(result);
    const firing = new Map(engine.list().filter((a) => a.state === 'firing').map((a) => [a.key, a]));
    for (const [key, view] of firing) {
      const seen = open.get(key);
      if (!seen) open.set(key, started(view, window, at));
      else if (RANK[view.severity] > RANK[seen.severity]) seen.severity = view.severity as BacktestAlert['severity'];
    }
    for (const [key, alert] of open) {
      if (firing.has(key)) continue;
      alerts.push({ ...alert, resolvedAt: at });
      open.delete(key);
    }
    options.onStep?.(i + 1, steps.length);
  }
  alerts.push(...open.values());
  alerts.sort((a, b) => a.firedAt.getTime() - b.firedAt.getTime() || a.monitor.localeCompare(b.monitor) || a.model.localeCompare(b.model));
  return { steps: steps.length, from: options.from, to: options.to, everyMs: options.everyMs, alerts };
}

function started(view: AlertView, window: string, at: Date): BacktestAlert {
  return {
    monitor: view.monitor,
    model: view.model,
    segment: view.segment,
    feature: view.feature,
    window: view.window ?? window,
    ...(view.shadowVersion !== undefined ? { shadowVersion: view.shadowVersion } : {}),
    severity: view.severity === 'critical' ? 'critical' : 'warning',
    firedAt: at,
    resolvedAt: null,
  };
}

/** The `--json` document: times as ISO 8601 UTC strings. */
export function backtestDocument(result: BacktestResult) {
  return {
    steps: result.steps,
    alerts: result.alerts.map((a) => ({ ...a, firedAt: a.firedAt.toISOString(), resolvedAt: a.resolvedAt ? a.resolvedAt.toISOString() : null })),
  };
}
