// The daemon's hooks: the alert engine and shadow verdict changes over one delivery (Slack, or the console without a token), and the weekly report.
import { AlertEngine } from '../alerts/index.js';
import { DecisionTracker, type DecisionKind } from '../alerts/decisions.js';
import { EXPERIMENT_DECISIONS } from '../alerts/experiments.js';
import { SHADOW_DECISIONS } from '../alerts/verdicts.js';
import type { CycleResult } from '../core/types.js';
import type { CycleHook } from '../sinks/hook.js';
import { reportHook } from '../report/index.js';
import type { AlertDelivery } from '../sinks/outbox.js';
import { openAlertDelivery, type AlertDeliveryOptions } from '../sinks/slack.js';
import type { Session } from './common.js';

/** What the hooks need of a session; the rollup state, when given, is shared with the weekly report's refresh. */
export type HookSession = Pick<Session, 'store' | 'config' | 'logger'> & Partial<Pick<Session, 'rollup'>>;

/** Retries and timeouts of the receivers (tests shorten them). */
export type DeliveryTuning = Pick<AlertDeliveryOptions, 'slack' | 'outbox' | 'console'>;

/** Slack through the durable outbox with SLACK_BOT_TOKEN, else the console: one per daemon, shared by its hooks. */
export function openDelivery({ store, config, logger }: HookSession, env: NodeJS.ProcessEnv = process.env, tuning: DeliveryTuning = {}): Promise<AlertDelivery> {
  return openAlertDelivery(store, config, { ...tuning, logger, env });
}

/** Alerts over a delivery of their own: for a daemon that sends nothing else. */
export async function alertsHook(session: HookSession, env: NodeJS.ProcessEnv = process.env, tuning: DeliveryTuning = {}): Promise<CycleHook> {
  return alertEngineHook(session, await openDelivery(session, env, tuning));
}

/** Alerts: observe each successful cycle (queueing notifications durably first), then deliver what is queued. */
export async function alertEngineHook({ store, config, logger }: HookSession, delivery: AlertDelivery): Promise<CycleHook> {
  const engine = await AlertEngine.open(store, config, { logger, queue: delivery });
  // Whatever a previous run queued and did not deliver (alerts or verdicts) goes out now, once.
  await delivery.flush().catch((e: Error) => logger.warn({ err: e.message }, 'queued messages not delivered yet; retrying after the next cycle'));
  return {
    name: 'alerts',
    async afterCycle(result) {
      await engine.observe(result);
      await delivery.flush();
    },
    firing: () => engine.firingCounts(),
    async flush() {
      await delivery.flush();
    },
  };
}

/**
 * Verdicts of one kind (shadows', experiments'): a message per verdict that changed, and per new subject
 * (DecisionTracker), over the alerts' delivery. `describe` is what the log line says of a change.
 */
async function decisionHook<V>(
  { store, config, logger }: HookSession,
  delivery: AlertDelivery,
  kind: DecisionKind<V>,
  pick: (result: CycleResult) => readonly V[],
  describe: (verdict: V) => Record<string, string>,
): Promise<CycleHook> {
  const tracker = await DecisionTracker.open(store, config, kind, delivery);
  return {
    name: kind.label,
    async afterCycle(result) {
      const changes = await tracker.queueChanges(pick(result), result.at);
      try {
        await tracker.save();
      } finally {
        // Queued is enough to send: a failed write must not hold the messages back.
        if (changes.length > 0) {
          logger.info({ changes: changes.map((c) => ({ ...describe(c.verdict), from: c.previous ?? null, to: kind.verdict(c.verdict) })) }, `${kind.label} changed`);
          await delivery.flush();
        }
      }
    },
    async flush() {
      await delivery.flush();
    },
  };
}

/** Shadow verdicts: a message per verdict that changed, over the alerts' delivery. */
export function shadowHook(session: HookSession, delivery: AlertDelivery): Promise<CycleHook> {
  return decisionHook(session, delivery, SHADOW_DECISIONS, (r) => r.shadow, (v) => ({ model: v.model, shadow: v.shadowVersion }));
}

/** Experiments: a message per new experiment and per verdict change, over the alerts' delivery. */
export function experimentsHook(session: HookSession, delivery: AlertDelivery): Promise<CycleHook> {
  return decisionHook(session, delivery, EXPERIMENT_DECISIONS, (r) => r.experiments ?? [], (v) => ({ model: v.model, control: v.control, treatment: v.treatment }));
}

/** The daemon's hooks: alerts and verdict changes share one delivery, so one outbox orders and retries both. */
export async function buildHooks(session: HookSession, env: NodeJS.ProcessEnv = process.env, tuning: DeliveryTuning = {}): Promise<CycleHook[]> {
  const delivery = await openDelivery(session, env, tuning);
  return [await alertEngineHook(session, delivery), await shadowHook(session, delivery), await experimentsHook(session, delivery), reportHook(session)];
}
