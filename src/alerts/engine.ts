// The alert engine: feeds each successful cycle through the lifecycle, groups what changed, keeps state durable.
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import { stronger } from '../core/identity.js';
import type { CycleResult, Evaluation, SharedShift } from '../core/types.js';
import { enabledMonitors } from '../monitors/registry.js';
import type { Store } from '../store/index.js';
import { evaluationView, groupNotification, toView } from './grouping.js';
import { assignGroups, classify, incidentKey, parseRollupKey, type IncidentInfo } from './incident.js';
import { alertKey } from './key.js';
import { STALE_AFTER_MS, isActive, step, type LifecycleRules } from './lifecycle.js';
import { compileSilences, isSilenced, type Silence } from './silences.js';
import { alertHistory, ensureAlertTables, loadActiveAlerts, saveAlerts } from './table.js';
import type { Alert, AlertRecord, AlertView, FiringCount, Notification, NotificationQueue } from './types.js';


/** Where the engine keeps its state: driftwatch_alerts (table.ts), or nowhere (a backtest's replay). */
export interface AlertStateStore {
  save(alerts: readonly Alert[], version: number, now: Date): Promise<void>;
  history(range: { from: Date; to: Date }): Promise<AlertRecord[]>;
}

export interface AlertEngineOptions {
  logger?: Logger;
  /**
   * Where notifications go before the engine commits the state that says they were sent (the outbox).
   * With a queue, a crash between the two writes repeats a notification rather than losing it.
   */
  queue?: NotificationQueue;
}

/** One evaluation per key: the strongest of its windows (findings are evaluations too). */
function indexEvaluations(result: CycleResult): Map<string, Evaluation> {
  const byKey = new Map<string, Evaluation>();
  for (const e of [...result.evaluations, ...result.findings]) {
    const key = alertKey(e);
    const seen = byKey.get(key);
    byKey.set(key, seen ? stronger(seen, e) : e);
  }
  return byKey;
}

function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** What a group is, for its messages: its kind from its alerts' signals, and its segment or shared value. */
function describeIncident(groupKey: string, n: Notification, shared: readonly SharedShift[]): IncidentInfo {
  const views = n.alerts.length > 0 ? n.alerts : n.resolved;
  const first = views[0];
  const rollup = parseRollupKey(groupKey);
  if (!rollup) {
    const info: IncidentInfo = { ...classify(views), segment: first?.segment ?? {} };
    return first?.shadowVersion !== undefined ? { ...info, shadowVersion: first.shadowVersion } : info;
  }
  const members = new Set(views.map((v) => JSON.stringify(v.segment))).size;
  const test = shared.find((s) => s.model === rollup.model && s.column === rollup.column && s.value === rollup.value);
  return {
    ...classify(views),
    segment: { [rollup.column]: rollup.value },
    shared: {
      column: rollup.column, value: rollup.value, members,
      ...(test ? { test: { monitor: test.monitor, feature: test.feature, ...(test.window !== undefined ? { window: test.window } : {}), segments: test.segments, atLeast: test.atLeast, pValue: test.pValue, qValue: test.qValue } } : {}),
    },
  };
}

/**
 * Values of each incident's segment below their warning level on the longest window (the steadiest reading; a short
 * window's PSI is mostly noise), by incident key, for its evidence: one pass over the cycle, whatever the number of
 * new incidents. Roll-up keys find nothing.
 */
function steadyByIncident(result: CycleResult): Map<string, AlertView[]> {
  const longest = result.windows.currents.at(-1)?.name;
  // Below its warning level, not merely not significant: a large effect on too little data did not "stay put".
  const below = (e: Evaluation) => Number.isFinite(e.value) && Math.abs(e.value) < Math.abs(e.threshold);
  const steady = result.evaluations.filter((e) => e.severity === 'ok' && below(e) && (e.window === undefined || e.window === longest));
  // The score first: an unmoved score beside an approval drop is what points at the issuer.
  steady.sort((a, b) => Number(b.feature === 'score') - Number(a.feature === 'score'));
  const views = new Map<string, AlertView[]>();
  for (const [key, evaluations] of groupBy(steady, incidentKey)) views.set(key, evaluations.map(evaluationView));
  return views;
}

export class AlertEngine {
  private chain: Promise<unknown> = Promise.resolve();
  private lastAt = 0;
  /** Changes applied in memory whose write to the table failed: written with the next cycle's. */
  private readonly unsaved = new Map<string, Alert>();

  private constructor(
    private readonly state: AlertStateStore,
    private readonly config: Config,
    private readonly silences: Silence[],
    private readonly active: Map<string, Alert>,
    private version: number,
    private readonly options: AlertEngineOptions,
  ) {}

  /** Validates silences, creates the table if missing and picks up the alerts a previous run left pending or firing. */
  static async open(store: Store, config: Config, options: AlertEngineOptions = {}): Promise<AlertEngine> {
    const silences = compileSilences(config);
    await ensureAlertTables(store, config);
    const { alerts, version } = await loadActiveAlerts(store, config);
    const active = new Map(alerts.map((a) => [a.key, a]));
    const state: AlertStateStore = {
      save: (changed, v, now) => saveAlerts(store, config, changed, v, now),
      history: (range) => alertHistory(store, config, range),
    };
    return new AlertEngine(state, config, silences, active, version, options);
  }

  /**
   * An engine that starts with no alerts and keeps its state in memory only: the same lifecycle, grouping and
   * silences as the daemon's, for a replay (`driftwatch backtest`) that must write nothing.
   */
  static inMemory(config: Config, options: AlertEngineOptions = {}): AlertEngine {
    const state: AlertStateStore = { save: async () => undefined, history: async () => [] };
    return new AlertEngine(state, config, compileSilences(config), new Map(), 0, options);
  }

  private get logger(): Logger {
    return this.options.logger ?? silentLogger;
  }

  private get rules(): LifecycleRules {
    return { for: this.config.alerts.for, resolveAfter: this.config.alerts.resolveAfter, staleAfterMs: STALE_AFTER_MS };
  }

  /**
   * Feeds one successful cycle. A failed cycle has no CycleResult and so cannot reach this: it must never
   * resolve anything. Calls are serialised; a cycle not later than the last one observed is ignored.
   */
  observe(result: CycleResult): Promise<Notification[]> {
    const run = this.chain.then(() => this.observeNow(result));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async observeNow(result: CycleResult): Promise<Notification[]> {
    const at = result.at;
    if (at.getTime() <= this.lastAt) {
      this.logger.warn({ at: at.toISOString() }, 'alert engine: ignoring a cycle not later than the last one observed');
      return [];
    }
    const evaluations = indexEvaluations(result);
    const stepped = assignGroups(this.stepAll(evaluations, at), result.shared ?? []);
    const changed = new Map<string, Alert>();
    for (const alert of stepped) if (alert !== this.active.get(alert.key)) changed.set(alert.key, alert);

    // A segment's warnings are context in the thread of its incident (or the roll-up holding it).
    const live = new Set(stepped.filter(isActive).map((a) => a.key));
    const groupOfIncident = new Map(stepped.filter(isActive).map((a) => [incidentKey(a), a.groupKey]));
    const warnings = groupBy(
      [...evaluations].filter(([key, e]) => e.severity === 'warning' && !live.has(key) && groupOfIncident.has(incidentKey(e))).map(([, e]) => e),
      (e) => groupOfIncident.get(incidentKey(e)) as string,
    );
    const notifications: Notification[] = [];
    let steady: Map<string, AlertView[]> | undefined;
    for (const [groupKey, alerts] of groupBy(stepped, (a) => a.groupKey)) {
      const outcome = groupNotification({ groupKey, alerts, warnings: warnings.get(groupKey) ?? [], at, repeatIntervalMs: this.config.alerts.repeatInterval });
      const notification = outcome.notification;
      if (notification) {
        notification.incident = describeIncident(groupKey, notification, result.shared ?? []);
        notifications.push(notification);
        // The headline opens the thread; every alert's numbers follow in it, with what did not move.
        if (notification.kind === 'firing') {
          steady ??= steadyByIncident(result);
          notifications.push({ ...notification, kind: 'evidence', steady: steady.get(groupKey) ?? [] });
        }
      }
      outcome.alerts.forEach((alert, i) => {
        if (alert !== alerts[i]) changed.set(alert.key, alert);
      });
    }

    // Enqueue first: if the process dies before the state write below, the worst case is a repeat, never a loss.
    if (this.options.queue && notifications.length > 0) await this.options.queue.enqueue(notifications);
    // Once queued, the notifications will go out: the new state holds in memory even if writing it fails, or
    // the next cycle would announce the same alerts again. An unwritten change is retried with the next cycle.
    for (const alert of changed.values()) {
      if (isActive(alert)) this.active.set(alert.key, alert);
      else this.active.delete(alert.key);
      this.unsaved.set(alert.key, alert);
    }
    this.lastAt = at.getTime();
    if (notifications.length > 0) {
      // One line, not an object dump: the notifications themselves are what the console and Slack show.
      const groups = notifications.filter((n) => n.kind !== 'evidence');
      const firing = groups.reduce((n, x) => n + x.alerts.length, 0);
      const resolved = groups.reduce((n, x) => n + x.resolved.length, 0);
      this.logger.info({ groups: groups.map((n) => n.incident?.title ?? n.groupKey).join('; '), firing, resolved }, `alerts changed: ${groups.length} incidents, ${firing} firing, ${resolved} resolved`);
    }
    await this.save();
    return notifications;
  }

  /** Writes every change not yet in the table; on failure they stay pending for the next cycle. */
  private async save(): Promise<void> {
    if (this.unsaved.size === 0) return;
    const alerts = [...this.unsaved.values()];
    this.version = Math.max(this.version + 1, Date.now());
    await this.state.save(alerts, this.version, new Date());
    for (const alert of alerts) if (this.unsaved.get(alert.key) === alert) this.unsaved.delete(alert.key);
  }

  /** Every active key and every critical evaluation, one lifecycle step each, with the silences applied. */
  private stepAll(evaluations: Map<string, Evaluation>, at: Date): Alert[] {
    const keys = new Set(this.active.keys());
    for (const [key, e] of evaluations) if (e.severity === 'critical') keys.add(key);
    const stepped: Alert[] = [];
    for (const key of keys) {
      const before = this.active.get(key);
      let after = step(before, evaluations.get(key), at, this.rules);
      if (!after) continue;
      const silenced = isSilenced(this.silences, after, at);
      if (after.silenced !== silenced) after = { ...after, silenced };
      stepped.push(after);
    }
    return stepped;
  }

  /** The pending and firing alerts, firing first. */
  list(): AlertView[] {
    return [...this.active.values()]
      .sort((a, b) => Number(b.state === 'firing') - Number(a.state === 'firing') || a.since.getTime() - b.since.getTime())
      .map((a) => toView(a));
  }

  /**
   * Firing alerts per monitor and current severity: `warning` counts firing alerts whose latest evaluation is
   * below critical (held by hysteresis). Silenced alerts count (they are firing); zeros are listed so a gauge drops to 0.
   */
  firingCounts(): FiringCount[] {
    const counts = enabledMonitors(this.config)
      .filter((m) => m.alerts !== false)
      .flatMap(({ name: monitor }) => (['warning', 'critical'] as const).map((severity) => ({ monitor, severity, count: 0 })));
    for (const alert of this.active.values()) {
      if (alert.state !== 'firing') continue;
      const entry = counts.find((c) => c.monitor === alert.monitor && c.severity === (alert.severity === 'critical' ? 'critical' : 'warning'));
      if (entry) entry.count++;
    }
    return counts;
  }

  /** Alerts firing at some time in the range, resolved ones included, with their durations (for the weekly report). */
  history(range: { from: Date; to: Date }): Promise<AlertRecord[]> {
    return this.state.history(range);
  }
}
