// One cycle: resolve windows, read aggregates, run every monitor, judge all evaluations under one FDR.
import { rawSource, type AggregateSource } from './aggregates/index.js';
import type { Config } from './config/index.js';
import { silentLogger, type Logger } from './log.js';
import { controlFdr, judge } from './monitors/judge.js';
import type { Monitor } from './monitors/monitor.js';
import { MONITORS } from './monitors/registry.js';
import { isFinding, type CycleResult, type Evaluation, type MonitorName } from './monitors/types.js';
import type { Store } from './store/index.js';
import { resolveWindows } from './windows.js';

export interface CycleOptions {
  at?: Date;
  logger?: Logger;
  /** Where aggregates come from (default: the raw tables). */
  source?: AggregateSource;
  monitors?: readonly Monitor[];
}

/** Caches each aggregate question for the length of one cycle: calibration and approval share one join. */
function memoize(source: AggregateSource): AggregateSource {
  const cache = new Map<string, Promise<unknown>>();
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const key = `${name}:${JSON.stringify(args)}`;
      if (!cache.has(key)) cache.set(key, fn(...args));
      return cache.get(key) as Promise<R>;
    };
  return {
    models: wrap('models', source.models.bind(source)),
    scoreBins: wrap('scoreBins', source.scoreBins.bind(source)),
    learnFeatureEdges: source.learnFeatureEdges.bind(source),
    featureBins: wrap('featureBins', source.featureBins.bind(source)),
    labels: wrap('labels', source.labels.bind(source)),
    quality: wrap('quality', source.quality.bind(source)),
    orphanOutcomes: wrap('orphanOutcomes', source.orphanOutcomes.bind(source)),
    shadow: wrap('shadow', source.shadow.bind(source)),
  };
}

export async function runCycle(store: Store, config: Config, options: CycleOptions = {}): Promise<CycleResult> {
  const started = Date.now();
  const at = options.at ?? new Date();
  const logger = options.logger ?? silentLogger;
  const source = memoize(options.source ?? rawSource(store, config));
  const monitors = (options.monitors ?? MONITORS).filter((m) => m.enabled(config));
  const windows = resolveWindows(config, at);
  const models = config.models.length > 0 ? config.models : await source.models(windows);

  const result: CycleResult = { at, windows, models, evaluations: [], findings: [], shadow: [], quality: { rows: 0, badScores: 0, missingOutcomes: 0, duplicates: 0 }, approval: [], durationMs: 0 };
  const byName = new Map<MonitorName, Monitor>();
  for (const monitor of monitors) {
    const t0 = Date.now();
    const output = await monitor.evaluate({ config, store, source, windows, at, models, logger });
    byName.set(monitor.name, monitor);
    result.evaluations.push(...(output.evaluations ?? []));
    result.shadow.push(...(output.shadow ?? []));
    result.approval?.push(...(output.approval ?? []));
    if (output.quality) result.quality = output.quality;
    logger.debug({ monitor: monitor.name, evaluations: output.evaluations?.length ?? 0, ms: Date.now() - t0 }, 'monitor done');
  }

  controlFdr(result.evaluations, config.fdr);
  for (const evaluation of result.evaluations) applySeverity(config, byName.get(evaluation.monitor), evaluation);
  result.findings = result.evaluations.filter(isFinding);
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
