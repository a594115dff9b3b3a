// What the daemon hands each successful cycle to besides metrics and history: alerts, shadow verdicts, the weekly report.
import type { FiringCount } from '../alerts/types.js';
import type { CycleResult } from '../core/types.js';

/** What the daemon does with a successful cycle besides metrics and history (alerts, shadow verdicts, …). */
export interface CycleHook {
  name: string;
  /** Called after each successful cycle; errors are logged and do not fail the cycle. */
  afterCycle(result: CycleResult, cycleId: string): Promise<void>;
  /** Firing alerts per monitor and severity, for driftwatch_alerts_firing. */
  firing?(): FiringCount[];
  /** Flushes queued deliveries on stop. */
  flush?(): Promise<void>;
  /** A second schedule of its own (e.g. the weekly report). */
  schedule?: { cron: string; run(): Promise<void> };
}
