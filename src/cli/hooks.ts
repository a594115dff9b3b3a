// The daemon's hooks after each cycle: the alert engine and its delivery (Slack, or the console without a token).
import { AlertEngine } from '../alerts/index.js';
import type { CycleHook } from '../daemon.js';
import { openAlertDelivery } from '../sinks/slack.js';
import type { Session } from './common.js';

/** Alerts: observe each successful cycle (queueing notifications durably first), then deliver what is queued. */
export async function alertsHook({ store, config, logger }: Session, env: NodeJS.ProcessEnv = process.env): Promise<CycleHook> {
  const delivery = await openAlertDelivery(store, config, { logger, env });
  const engine = await AlertEngine.open(store, config, { logger, queue: delivery });
  // Whatever a previous run queued and did not deliver goes out now, once.
  await delivery.flush().catch((e: Error) => logger.warn({ err: e.message }, 'queued alerts not delivered yet; retrying after the next cycle'));
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

export async function buildHooks(session: Session): Promise<CycleHook[]> {
  return [await alertsHook(session)];
}
