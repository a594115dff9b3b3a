// `driftwatch daemon`: scheduled cycles until SIGTERM/SIGINT, then a clean stop (exit 0 within 10 s).
import { Daemon } from '../daemon.js';
import { buildHooks } from './hooks.js';
import { LeaderLease } from '../lease.js';
import { daemonPreparer, openSession, settleSession } from './common.js';

export async function daemonCommand(options: { config?: string }): Promise<number> {
  const session = await settleSession(await openSession(options.config), new Date());
  const { store, config, logger } = session;
  // Several daemons may share a server store: the lease decides which one runs the cycles and sends (src/lease.ts).
  // On the embedded store the process lock already admits one, which takes whatever lease a dead one left.
  const lease = new LeaderLease(store, config, { ttlMs: config.daemon.lease, exclusive: store.kind === 'embedded' });
  const leadership = { lease, hooks: () => buildHooks(session), renewMs: config.daemon.lease / 3 };
  // The session's rollup state lives as long as the daemon: each cycle reads only the hours and strips that moved since the last.
  const daemon = new Daemon({ config, store, logger, beforeCycle: daemonPreparer(session), leadership });
  try {
    await daemon.start();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return waitForSignal(async () => {
    await daemon.stop();
    await store.close().catch(() => undefined);
  });
}

/** Resolves with exit code 0 after the first SIGTERM/SIGINT and a clean stop; a second signal exits at once. */
export function waitForSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`driftwatch: ${signal} received, stopping\n`);
      const hardStop = setTimeout(() => process.exit(0), 9_500);
      hardStop.unref();
      void stop().finally(() => resolve(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
