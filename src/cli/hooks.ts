// The daemon's hooks: the alert engine and shadow verdict changes over one delivery (Slack, or the console without a token), and the weekly report.
import { AlertEngine } from '../alerts/index.js';
import { VerdictTracker } from '../alerts/verdicts.js';
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

/** Shadow verdicts: a message per verdict that changed (see VerdictTracker), over the alerts' delivery. */
export async function shadowHook({ store, config, logger }: HookSession, delivery: AlertDelivery): Promise<CycleHook> {
  const tracker = await VerdictTracker.open(store, config, delivery);
  return {
    name: 'shadow verdicts',
    async afterCycle(result) {
      const changes = await tracker.queueChanges(result.shadow, result.at);
      try {
        await tracker.save();
      } finally {
        // Queued is enough to send: a failed write must not hold the messages back.
        if (changes.length > 0) {
          logger.info({ changes: changes.map((c) => ({ model: c.model, shadow: c.shadowVersion, from: c.previous ?? null, to: c.verdict.verdict })) }, 'shadow verdicts changed');
          await delivery.flush();
        }
      }
    },
    async flush() {
      await delivery.flush();
    },
  };
}

/** The daemon's hooks: alerts and verdict changes share one delivery, so one outbox orders and retries both. */
export async function buildHooks(session: HookSession, env: NodeJS.ProcessEnv = process.env, tuning: DeliveryTuning = {}): Promise<CycleHook[]> {
  const delivery = await openDelivery(session, env, tuning);
  return [await alertEngineHook(session, delivery), await shadowHook(session, delivery), reportHook(session)];
}
