// What a monitor is: the aggregates it reads, one statistic per segment, evaluations out.
import type { AggregateSource } from '../aggregates/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { Levels } from './judge.js';
import type { CycleResult, CycleWindows, Evaluation, MonitorName, Segment } from './types.js';

export interface MonitorContext {
  config: Config;
  store: Store;
  source: AggregateSource;
  windows: CycleWindows;
  at: Date;
  models: string[];
  logger: Logger;
}

/** What a monitor adds to the cycle; evaluations are judged (FDR, severity) by the cycle afterwards. */
export type MonitorOutput = Partial<Pick<CycleResult, 'evaluations' | 'shadow' | 'quality' | 'approval'>>;

export interface Monitor {
  name: MonitorName;
  enabled(config: Config): boolean;
  evaluate(context: MonitorContext): Promise<MonitorOutput>;
  /** The effect size an evaluation is judged on (larger is worse) and the levels it is judged against. */
  severityInput(config: Config, evaluation: Evaluation): { magnitude: number; levels: Levels };
}

/** `['BANK', 'EU']` → `{ issuer: 'BANK', region: 'EU' }` with the configured segment names. */
export function segmentRecord(config: Config, values: string[]): Segment {
  return Object.fromEntries(config.segments.map((name, i) => [name, values[i] ?? '']));
}
