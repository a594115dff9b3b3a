// One cycle: resolve windows, read aggregates, run every monitor, judge all evaluations under one FDR.
import { leavingOut, rawSource, type AggregateSource, type HeldOut } from './aggregates/index.js';
import type { Config } from './config/index.js';
import { DriftwatchError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { controlFdr, judge } from './monitors/judge.js';
import type { Monitor } from './monitors/monitor.js';
import { MONITORS } from './monitors/registry.js';
import { judgeSharedShifts } from './monitors/shared.js';
import { strongestPerIdentity } from './core/identity.js';
import { isFinding, type CycleResult, type Evaluation } from './core/types.js';
import type { Store } from './store/index.js';
import { renewals, resolveWindows } from './core/windows.js';

export interface CycleOptions {
  at?: Date;
  logger?: Logger;
  /**
   * Where aggregates come from: this cycle's source (rawSource, rollupSource, or prepareCycle's), which keeps its
   * answers for the cycle, so make one per cycle. Default: a raw source of its own.
   */
  source?: AggregateSource;
  monitors?: readonly Monitor[];
}

export async function runCycle(store: Store, config: Config, options: CycleOptions = {}): Promise<CycleResult> {
  const started = Date.now();
  const at = options.at ?? new Date();
  const logger = options.logger ?? silentLogger;
  const source = options.source ?? rawSource(store, config);
  const monitors = (options.monitors ?? MONITORS).filter((m) => m.enabled(config));
  const windows = resolveWindows(config, at);
  const models = config.models.length > 0 ? config.models : await source.models(windows);

  const result: CycleResult = { at, windows, models, evaluations: [], findings: [], shadow: [], quality: { rows: 0, badScores: 0, missingOutcomes: 0, duplicates: 0 }, approval: [], experiments: [], durationMs: 0 };
  const byName = new Map<string, Monitor>();
  // What a monitor holds out of the others' drift questions (an experiment's treatments), decided before any runs.
  const heldOut: HeldOut[] = [];
  for (const monitor of monitors) {
    heldOut.push(...((await monitor.holdsOut?.({ config, source, windows, at, models, logger }).catch((error: unknown) => Promise.reject(named(monitor, error)))) ?? []));
  }
  const scoped = leavingOut(source, heldOut);
  for (const monitor of monitors) {
    const t0 = Date.now();
    const output = await monitor.evaluate({ config, source: scoped, windows, at, models, logger }).catch((error: unknown) => {
      throw named(monitor, error);
    });
    byName.set(monitor.name, monitor);
    result.evaluations.push(...(output.evaluations ?? []));
    result.shadow.push(...(output.shadow ?? []));
    result.approval?.push(...(output.approval ?? []));
    result.experiments?.push(...(output.experiments ?? []));
    if (output.quality) result.quality = output.quality;
    logger.debug({ monitor: monitor.name, evaluations: output.evaluations?.length ?? 0, ms: Date.now() - t0 }, 'monitor done');
  }

  controlFdr(result.evaluations, config.fdr, (e) => renewals(e, windows));
  for (const evaluation of result.evaluations) applySeverity(config, byName.get(evaluation.monitor), evaluation);
  // One finding per identity: with several windows, the strongest window speaks for the segment.
  result.findings = strongestPerIdentity(result.evaluations.filter(isFinding));
  result.shared = judgeSharedShifts(result.evaluations, config, (e) => renewals(e, windows));
  result.durationMs = Date.now() - started;
  return result;
}

function applySeverity(config: Config, monitor: Monitor | undefined, evaluation: Evaluation): void {
  if (!monitor) return;
  const { magnitude, levels } = monitor.severityInput(config, evaluation);
  const { severity, threshold } = judge(magnitude, levels, evaluation.qValue, config.fdr);
  evaluation.severity = severity;
  evaluation.threshold = threshold;
}

/**
 * A monitor's own failure (a bug, or data it cannot handle) says which monitor it was; a user-caused error from
 * below (store unreachable, stalled, missing table) keeps its class, and with it its message and exit code.
 */
function named(monitor: Monitor, error: unknown): unknown {
  if (error instanceof DriftwatchError || !(error instanceof Error)) return error;
  return new Error(`monitor ${monitor.name} failed: ${error.message}`, { cause: error });
}
