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
import type { LeaderLease } from './lease.js';
import { StoreQueryError, StoreUnreachableError } from './errors.js';

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
  /**
   * Several daemons on one store: only the one holding the lease runs cycles and hooks; the others stand by,
   * serving /metrics (driftwatch_leader 0) and /healthz, and look for the lease every `renewMs`. The hooks are
   * built each time this daemon takes the lead, from the store's state then (a standby's view would be stale).
   */
  leadership?: { lease: LeaderLease; hooks: () => Promise<CycleHook[]>; renewMs: number };
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
  private hooks: CycleHook[];
  private tasks: ScheduledTask[] = [];
  private server?: { url: string; close(): Promise<void> };
  private hookTasks: ScheduledTask[] = [];
  private inFlight?: Promise<CycleOutcome>;
  private stopping = false;
  /** Without a lease a daemon always leads. */
  private leads: boolean;
  private leaseTimer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private standbyLogged = false;
  /** start() has run its first look (a later takeover runs a cycle at once). */
  private started = false;
  /** When this daemon last renewed the lease (its own clock: only to give up in time when the store is gone). */
  private renewedAt = 0;

  constructor(private readonly options: DaemonOptions) {
    this.logger = options.logger ?? silentLogger;
    this.hooks = options.hooks ?? [];
    this.metrics = new Metrics(options.config);
    this.leads = options.leadership === undefined;
    this.metrics.setLeader(this.leads);
  }

  /** Whether this daemon runs the cycles (it holds the lease, or there is none). */
  get leading(): boolean {
    return this.leads;
  }

  get url(): string | undefined {
    return this.server?.url;
  }

  async start(): Promise<void> {
    const { config, store } = this.options;
    const cycles = cycleReadiness({ metrics: this.metrics, store, maxAgeMs: 3 * scheduleIntervalMs(config.schedule) });
    // A standby runs no cycles: it is ready as long as it can take over (the store answers).
    const ready = async () => (this.leads ? cycles() : (await store.ping()) ? { ready: true, reason: 'standing by: another daemon holds the lease' } : { ready: false, reason: `standing by, and store at ${store.location} does not answer` });
    this.server = await startServer({ metrics: this.metrics, ready, host: config.sinks.prometheus.host, port: config.sinks.prometheus.port, logger: this.logger });
    this.logger.info({ url: this.server.url, schedule: config.schedule, store: store.location }, 'driftwatch daemon started');
    this.tasks.push(cron.schedule(config.schedule, () => void this.tick(), { name: 'cycle' }));
    const { leadership } = this.options;
    if (leadership) {
      // A first look that cannot build the hooks (a bad Slack setting) fails the start, as without a lease.
      await this.look(true);
      this.leaseTimer = setInterval(() => void this.lookForLead(), leadership.renewMs);
      this.leaseTimer.unref();
    } else this.scheduleHooks();
    this.started = true;
    if ((this.options.runOnStart ?? true) && this.leads) void this.tick();
  }

  private scheduleHooks(): void {
    for (const hook of this.hooks) {
      if (!hook.schedule) continue;
      const { run } = hook.schedule;
      this.hookTasks.push(
        cron.schedule(hook.schedule.cron, () => run().catch((e: Error) => this.logger.error({ hook: hook.name, err: e.message }, `${hook.name} failed`)), { name: hook.name }),
      );
    }
  }

  private async unscheduleHooks(): Promise<void> {
    for (const task of this.hookTasks.splice(0)) await task.stop();
  }

  /** Takes or renews the lease; on taking it builds the hooks and runs a cycle, on losing it stands by. One look at a time. */
  lookForLead(): Promise<void> {
    this.looking ??= this.look().finally(() => (this.looking = undefined));
    return this.looking;
  }

  private async look(starting = false): Promise<void> {
    const leadership = this.options.leadership;
    if (!leadership || this.stopping) return;
    const { lease } = leadership;
    try {
      const won = await lease.acquire();
      if (won) this.renewedAt = Date.now();
      if (won && !this.leads) await this.takeLead(leadership, starting);
      else if (!won && this.leads) await this.standBy(`lost the lease to another daemon: standing by`, await lease.leader());
      else if (!won && !this.standbyLogged) {
        this.logger.info({ leader: await lease.leader() }, 'standing by: another daemon holds the lease; this one serves /metrics and takes over if it stops renewing');
      }
      if (!won) this.standbyLogged = true;
    } catch (error) {
      if (starting && !(error instanceof StoreQueryError) && !(error instanceof StoreUnreachableError)) throw error;
      this.logger.error({ err: (error as Error).message }, 'could not read or renew the lease; trying again');
      // Unrenewed, the lease runs out on the store's side: past that, another daemon may lead, so this one stops too.
      if (this.leads && Date.now() - this.renewedAt > leadership.lease.ttlMs) await this.standBy('could not renew the lease before it ran out: standing by');
    }
  }

  /**
   * Builds the hooks (the alert engine from the stored state, the outbox's backlog flushed), then renews before
   * leading: building may outlast the lease, and another daemon may have taken it meanwhile.
   */
  private async takeLead(leadership: NonNullable<DaemonOptions['leadership']>, starting: boolean): Promise<void> {
    const { lease } = leadership;
    let hooks: CycleHook[];
    try {
      hooks = await leadership.hooks();
    } catch (error) {
      await lease.release().catch(() => undefined);
      if (starting) throw error;
      this.logger.error({ err: (error as Error).message }, 'took the lease but could not start the alert hooks: handed it back');
      return;
    }
    if (!(await lease.acquire())) {
      this.logger.warn({ leader: await lease.leader() }, 'the lease went to another daemon while the alert hooks started: standing by');
      return;
    }
    this.renewedAt = Date.now();
    this.hooks = hooks;
    this.scheduleHooks();
    this.leads = true;
    this.metrics.setLeader(true);
    this.logger.info({ holder: lease.holder }, 'leading: this daemon holds the lease and runs the cycles');
    if (this.started) void this.tick();
  }

  /** Stops leading: no cycles, no hooks, and none of the last cycle's findings left on /metrics (the leader exports them). */
  private async standBy(why: string, leader?: unknown): Promise<void> {
    this.leads = false;
    this.metrics.standBy();
    await this.unscheduleHooks();
    this.hooks = [];
    this.logger.warn({ leader }, why);
  }

  /**
   * Whether this daemon still leads after a cycle: the lease read afresh, and taken again if it ran out while no one
   * else took it. A lease of the embedded store is the process's (its lock admits one): always.
   */
  private async stillLeading(): Promise<boolean> {
    const lease = this.options.leadership?.lease;
    if (!lease || lease.exclusive || (await lease.leading())) return true;
    await this.lookForLead();
    return this.leads && (await lease.leading());
  }

  /** One scheduled tick: a cycle unless the previous one is still running (then the tick is skipped, not queued). */
  async tick(): Promise<CycleOutcome | undefined> {
    if (this.stopping || !this.leads) return undefined;
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
      // A leader that stalled past its lease may have been replaced meanwhile: it sends nothing then.
      if (!(await this.stillLeading())) {
        log.warn('the lease ran out during the cycle and another daemon leads now: its alerts are left to that one');
        return { cycleId, ok: true, result, durationMs: Date.now() - started };
      }
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
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    // A look in progress could renew after the release below, or take the lead after the stop.
    await this.looking?.catch(() => undefined);
    for (const task of this.tasks) await task.stop();
    await this.unscheduleHooks();
    if (this.inFlight) {
      const done = await Promise.race([this.inFlight.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref())]);
      if (!done) this.logger.warn('cycle still running at shutdown; its results are not sent (the next start recomputes them)');
    }
    for (const hook of this.hooks) await hook.flush?.().catch((e: Error) => this.logger.warn({ hook: hook.name, err: e.message }, 'flush failed; queued items stay queued'));
    // Handing the lease back lets a standby take over at its next look, not after the lease runs out.
    if (this.leads) await this.options.leadership?.lease.release().catch((e: Error) => this.logger.warn({ err: e.message }, 'could not release the lease; a standby takes over when it runs out'));
    await this.server?.close();
    this.logger.info('driftwatch daemon stopped');
  }
}
