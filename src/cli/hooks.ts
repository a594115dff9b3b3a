// The daemon's hooks: the alert engine and its delivery (Slack, or the console without a token), and the weekly report.
import { AlertEngine } from '../alerts/index.js';
import type { CycleHook } from '../daemon.js';
import { reportHook } from '../report/index.js';
import { openAlertDelivery, type AlertDeliveryOptions } from '../sinks/slack.js';
import type { Session } from './common.js';

/**
 * Alerts: observe each successful cycle (queueing notifications durably first), then deliver what is queued.
 * `delivery` tunes retries and timeouts of the receivers (tests shorten them).
 */
export async function alertsHook(
  { store, config, logger }: Session,
  env: NodeJS.ProcessEnv = process.env,
  delivery: Pick<AlertDeliveryOptions, 'slack' | 'outbox' | 'console'> = {},
): Promise<CycleHook> {
  const queue = await openAlertDelivery(store, config, { ...delivery, logger, env });
  const engine = await AlertEngine.open(store, config, { logger, queue });
  // Whatever a previous run queued and did not deliver goes out now, once.
  await queue.flush().catch((e: Error) => logger.warn({ err: e.message }, 'queued alerts not delivered yet; retrying after the next cycle'));
  return {
    name: 'alerts',
    async afterCycle(result) {
      await engine.observe(result);
      await queue.flush();
    },
    firing: () => engine.firingCounts(),
    async flush() {
      await queue.flush();
    },
  };
}

export async function buildHooks(session: Session): Promise<CycleHook[]> {
  return [await alertsHook(session), reportHook(session)];
}
