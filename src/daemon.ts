// The daemon: scheduled cycles (never overlapping), sinks after each, a metrics server, and a clean stop.
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from './config/index.js';
import { runCycle, type CycleOptions } from './cycle.js';
import { silentLogger, type Logger } from './log.js';
import type { CycleResult } from './core/types.js';
import { startServer } from './server.js';
import { writeHistory } from './sinks/history.js';
import type { CycleHook } from './sinks/hook.js';
import { cycleReadiness, Metrics, scheduleIntervalMs } from './sinks/prometheus/index.js';
import type { Store } from './store/index.js';

export type { CycleHook };

export interface DaemonOptions {
  config: Config;
  store: Store;
  logger?: Logger;
  hooks?: CycleHook[];
  /**
   * Runs before each cycle (e.g. folding new hours into the rollup); its failure fails the cycle. A `config` it
   * returns is the cycle's (a maturity learned since the start).
   */
  beforeCycle?: (at: Date) => Promise<Partial<CycleOptions> & { config?: Config }>;
  /** Run a cycle immediately on start instead of waiting for the first tick. */
  runOnStart?: boolean;
}

export interface CycleOutcome {
  cycleId: string;
  ok: boolean;
  result?: CycleResult;
  error?: Error;
  durationMs: number;
}

export class Daemon {
  readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly hooks: CycleHook[];
  private tasks: ScheduledTask[] = [];
  private server?: { url: string; close(): Promise<void> };
  private inFlight?: Promise<CycleOutcome>;
  private stopping = false;

  constructor(private readonly options: DaemonOptions) {
    this.logger = options.logger ?? silentLogger;
    this.hooks = options.hooks ?? [];
    this.metrics = new Metrics(options.config);
  }

  get url(): string | undefined {
    return this.server?.url;
  }

  async start(): Promise<void> {
    const { config, store } = this.options;
    const ready = cycleReadiness({ metrics: this.metrics, store, maxAgeMs: 3 * scheduleIntervalMs(config.schedule) });
    this.server = await startServer({ metrics: this.metrics, ready, host: config.sinks.prometheus.host, port: config.sinks.prometheus.port, logger: this.logger });
    this.logger.info({ url: this.server.url, schedule: config.schedule, store: store.location }, 'driftwatch daemon started');
    this.tasks.push(cron.schedule(config.schedule, () => void this.tick(), { name: 'cycle' }));
    for (const hook of this.hooks) {
      if (!hook.schedule) continue;
      const { run } = hook.schedule;
      this.tasks.push(
        cron.schedule(hook.schedule.cron, () => run().catch((e: Error) => this.logger.error({ hook: hook.name, err: e.message }, `${hook.name} failed`)), { name: hook.name }),
      );
    }
    if (this.options.runOnStart ?? true) void this.tick();
  }

  /** One scheduled tick: a cycle unless the previous one is still running (then the tick is skipped, not queued). */
  async tick(): Promise<CycleOutcome | undefined> {
    if (this.stopping) return undefined;
    if (this.inFlight) {
      this.logger.warn('previous cycle still running; this tick is skipped');
      return undefined;
    }
    this.inFlight = this.cycle();
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async cycle(): Promise<CycleOutcome> {
    const cycleId = randomUUID();
    const started = Date.now();
    const log = this.logger.child({ cycle: cycleId.slice(0, 8) });
    const { store } = this.options;
    try {
      const at = new Date();
      const { config = this.options.config, ...extra } = (await this.options.beforeCycle?.(at)) ?? {};
      const result = await runCycle(store, config, { at, logger: log, ...extra });
      await writeHistory(store, config, result, cycleId);
      for (const hook of this.hooks) {
        await hook.afterCycle(result, cycleId).catch((e: Error) => log.error({ hook: hook.name, err: e.message }, `${hook.name} failed after the cycle; will retry`));
      }
      // The cycle's wall time: beforeCycle (the rollup's fold), the monitors, the history write and the hooks so
      // far: what a slow cycle costs the schedule.
      const durationMs = Date.now() - started;
      this.metrics.recordCycle(
        { ...result, durationMs },
        this.hooks.flatMap((h) => h.firing?.() ?? []),
      );
      log.info({ ms: durationMs, evaluations: result.evaluations.length, findings: result.findings.length, critical: result.findings.filter((f) => f.severity === 'critical').length }, 'cycle done');
      return { cycleId, ok: true, result, durationMs };
    } catch (error) {
      const durationMs = Date.now() - started;
      this.metrics.recordFailure(durationMs);
      log.error({ ms: durationMs, err: (error as Error).message }, 'cycle failed; nothing resolved, next tick retries');
      return { cycleId, ok: false, error: error as Error, durationMs };
    }
  }

  /** Stops ticking, lets the running cycle finish (bounded), flushes sinks and closes the server. */
  async stop(graceMs = 8_000): Promise<void> {
    this.stopping = true;
    for (const task of this.tasks) await task.stop();
    if (this.inFlight) {
      const done = await Promise.race([this.inFlight.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref())]);
      if (!done) this.logger.warn('cycle still running at shutdown; its results are not sent (the next start recomputes them)');
    }
    for (const hook of this.hooks) await hook.flush?.().catch((e: Error) => this.logger.warn({ hook: hook.name, err: e.message }, 'flush failed; queued items stay queued'));
    await this.server?.close();
    this.logger.info('driftwatch daemon stopped');
  }
}
