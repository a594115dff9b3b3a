// Readiness for /readyz: the latest cycle succeeded, recently, and the store answers.
import cron from 'node-cron';
import type { Store } from '../../store/index.js';
import type { Metrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  /** One line saying why not (or what was checked), shown in the /readyz body. */
  reason?: string;
}

export interface ReadinessOptions {
  metrics: Pick<Metrics, 'lastSuccessAt' | 'consecutiveFailures'>;
  store: Pick<Store, 'ping' | 'location'>;
  /** Oldest acceptable successful cycle, e.g. 3 × scheduleIntervalMs(config.schedule). */
  maxAgeMs: number;
  /** A ping slower than this counts as no answer: probes have short timeouts of their own. */
  pingTimeoutMs?: number;
  now?: () => number;
}

/** The check the daemon hands to startServer: ready while the latest cycle succeeded, recently, and the store answers. */
export function cycleReadiness(options: ReadinessOptions): () => Promise<Readiness> {
  const { metrics, store, maxAgeMs, pingTimeoutMs = 2_000, now = Date.now } = options;
  return async () => {
    const last = metrics.lastSuccessAt;
    const failures = metrics.consecutiveFailures > 0 ? `; ${metrics.consecutiveFailures} failed cycle(s) since` : '';
    if (!last) return { ready: false, reason: `no successful cycle yet${failures}` };
    const age = now() - last.getTime();
    if (age > maxAgeMs) {
      return { ready: false, reason: `last successful cycle was ${seconds(age)} ago, limit ${seconds(maxAgeMs)}${failures}` };
    }
    // The values on show are the last good cycle's, but the latest cycle could not read the data: say so.
    if (metrics.consecutiveFailures > 0) {
      return { ready: false, reason: `the last ${metrics.consecutiveFailures} cycle(s) failed; last successful cycle ${seconds(age)} ago` };
    }
    if (!(await pingWithin(store, pingTimeoutMs))) return { ready: false, reason: `store at ${store.location} does not answer within ${seconds(pingTimeoutMs)}` };
    return { ready: true, reason: `last successful cycle ${seconds(age)} ago; store answers` };
  };
}

/** The longest gap between consecutive runs of a cron schedule (over its next runs), in ms. */
export function scheduleIntervalMs(schedule: string, runs = 8): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const times = task.getNextRuns(runs).map((date) => date.getTime());
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i] ?? 0) - (times[i - 1] ?? 0));
    return longest;
  } finally {
    void task.destroy();
  }
}

async function pingWithin(store: Pick<Store, 'ping'>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), timeoutMs);
  });
  try {
    return await Promise.race([store.ping().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${Math.round(ms / 1000)}s`;
}
