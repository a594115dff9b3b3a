// The driftwatch metric set on its own prom-client registry, fed with each cycle's result.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config/index.js';
import type { FiringCount } from '../../alerts/types.js';
import type { CycleResult } from '../../core/types.js';
import { labelValue, segmentLabelNames } from './labels.js';
import { selectSeries } from './select.js';
import { enabledMonitors } from '../../monitors/registry.js';
import { cycleCandidates, cycleGauges, FINDING_SEVERITY, gaugeLabelNames, severityCandidates, severityLabelNames, type CycleGauge, type SegmentLabeling } from './series.js';

export type { FiringCount };

export interface MetricsOptions {
  /** Clock for driftwatch_last_success_timestamp_seconds (tests pin it). */
  now?: () => number;
  /** prom-client's process metrics (CPU, memory, event loop, GC) on the same registry; default true. */
  defaultMetrics?: boolean;
}

/** From a 0.1 s cycle on a small store to the 10-minute budget of a large backfill. */
export const CYCLE_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const ALERT_SEVERITIES = ['warning', 'critical'];

export class Metrics {
  /** Every driftwatch metric and, unless disabled, the process metrics; knows nothing about HTTP. */
  readonly registry = new Registry();
  /** The label name of each configured segment column, in config order (see labels.ts for renames). */
  readonly segmentLabels: readonly string[];
  private readonly labeling: SegmentLabeling;
  private readonly maxSeries: number;
  private readonly now: () => number;
  private readonly gauges: Map<string, Gauge>;
  /** The enabled monitors' gauges (their descriptors), and the monitors alerts_firing lists. */
  private readonly cycleGauges: CycleGauge[];
  private readonly monitorNames: string[];
  private readonly alertsFiring: Gauge;
  private readonly findingSeverity: Gauge;
  private readonly seriesDropped: Gauge;
  private readonly cycleDuration: Histogram;
  private readonly lastSuccess: Gauge;
  private readonly failures: Counter;
  private readonly leader: Gauge;
  private lastSuccessMs: number | undefined;
  private failuresInARow = 0;

  constructor(config: Config, options: MetricsOptions = {}) {
    this.cycleGauges = cycleGauges(config);
    this.monitorNames = enabledMonitors(config)
      .filter((m) => m.alerts !== false)
      .map((m) => m.name);
    this.segmentLabels = segmentLabelNames(config.segments);
    this.labeling = { columns: config.segments, labels: this.segmentLabels };
    this.maxSeries = config.sinks.prometheus.maxSeries;
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    this.gauges = new Map(
      this.cycleGauges.map(({ gauge }) => [gauge.name, new Gauge({ name: gauge.name, help: gauge.help, labelNames: gaugeLabelNames(gauge, this.labeling), registers })]),
    );
    this.findingSeverity = new Gauge({ name: FINDING_SEVERITY.name, help: FINDING_SEVERITY.help, labelNames: severityLabelNames(this.labeling), registers });
    this.alertsFiring = new Gauge({
      name: 'driftwatch_alerts_firing',
      help: 'Alerts currently firing, per monitor and severity',
      labelNames: ['monitor', 'severity'],
      registers,
    });
    this.seriesDropped = new Gauge({
      name: 'driftwatch_series_dropped',
      help: `Series left off a metric by the cap of ${this.maxSeries} (sinks.prometheus.maxSeries); the history table has them all`,
      labelNames: ['metric'],
      registers,
    });
    this.cycleDuration = new Histogram({
      name: 'driftwatch_cycle_duration_seconds',
      help: 'Wall time of monitoring cycles, successful or failed',
      buckets: CYCLE_DURATION_BUCKETS,
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'driftwatch_last_success_timestamp_seconds',
      help: 'Unix time at which the last successful cycle finished (0 before the first)',
      registers,
    });
    this.failures = new Counter({ name: 'driftwatch_cycle_failures_total', help: 'Cycles that failed', registers });
    this.leader = new Gauge({ name: 'driftwatch_leader', help: '1 while this daemon holds the lease and runs the cycles, 0 while it stands by (several daemons on one store)', registers });
    this.leader.set(1);
    // The alert rules' drill-down links read Grafana's address from here: rule files are static, the config is not.
    const grafanaUrl = config.alerts.grafanaUrl.replace(/\/+$/, '');
    if (grafanaUrl) {
      new Gauge({ name: 'driftwatch_grafana_info', help: 'Always 1; url is alerts.grafanaUrl, which the alert rules build their drill-down links from', labelNames: ['url'], registers }).set({ url: grafanaUrl }, 1);
    }
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Replaces every per-cycle series with this cycle's values. The whole replacement is
   * synchronous, so a scrape sees the previous cycle or this one, never a mix, and a
   * segment that stopped alerting or disappeared leaves no stale series behind.
   */
  recordCycle(result: CycleResult, firing: readonly FiringCount[] = []): void {
    const candidates = cycleCandidates(this.cycleGauges, result, this.labeling);
    for (const [metric, gauge] of this.gauges) {
      const { kept, dropped } = selectSeries(candidates.get(metric) ?? [], this.maxSeries);
      gauge.reset();
      for (const series of kept) gauge.set(series.labels, series.value);
      this.seriesDropped.set({ metric }, dropped);
    }
    const severities = selectSeries(severityCandidates(result, this.labeling), this.maxSeries);
    this.findingSeverity.reset();
    for (const series of severities.kept) this.findingSeverity.set(series.labels, series.value);
    // An ok segment's 0 is context for dashboards (absent reads the same to the rules): past the cap it is left out
    // without counting, so a large install's many ok segments do not keep DriftwatchSeriesDropped firing.
    this.seriesDropped.set({ metric: FINDING_SEVERITY.name }, severities.droppedAlerting);
    this.recordFiring(firing);
    this.observeDuration(result.durationMs);
    this.lastSuccessMs = this.now();
    this.failuresInARow = 0;
    this.lastSuccess.set(this.lastSuccessMs / 1000);
  }

  /** A cycle that failed: counted and timed; the last good values stay on show. */
  recordFailure(durationMs: number): void {
    this.failures.inc();
    this.failuresInARow += 1;
    this.observeDuration(durationMs);
  }

  /** Whether this daemon leads (runs the cycles) or stands by. */
  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  /**
   * This daemon stands by: leader 0, and every series of its last cycle gone (findings, firing counts), so
   * Prometheus sees each finding once, from the leader, and no rule keeps firing on a former leader's values.
   */
  standBy(): void {
    this.setLeader(false);
    for (const gauge of this.gauges.values()) gauge.reset();
    this.findingSeverity.reset();
    this.alertsFiring.reset();
    this.seriesDropped.reset();
  }

  /** When the last successful cycle was recorded, for readiness. */
  get lastSuccessAt(): Date | undefined {
    return this.lastSuccessMs === undefined ? undefined : new Date(this.lastSuccessMs);
  }

  /** Failed cycles since the last successful one. */
  get consecutiveFailures(): number {
    return this.failuresInARow;
  }

  private recordFiring(firing: readonly FiringCount[]): void {
    const counts = new Map<string, { monitor: string; severity: string; count: number }>();
    for (const monitor of this.monitorNames) for (const severity of ALERT_SEVERITIES) counts.set(`${monitor}\n${severity}`, { monitor, severity, count: 0 });
    for (const { monitor, severity, count } of firing) {
      const labels = { monitor: labelValue(monitor), severity: labelValue(severity) };
      const key = `${labels.monitor}\n${labels.severity}`;
      const entry = counts.get(key) ?? { ...labels, count: 0 };
      entry.count += Number.isFinite(count) ? count : 0;
      counts.set(key, entry);
    }
    this.alertsFiring.reset();
    for (const { monitor, severity, count } of counts.values()) this.alertsFiring.set({ monitor, severity }, count);
  }

  private observeDuration(durationMs: number): void {
    if (Number.isFinite(durationMs)) this.cycleDuration.observe(Math.max(0, durationMs) / 1000);
  }
}
