// `driftwatch demo`: seeds the embedded store with synthetic traffic and incidents, then runs the daemon.
import { Daemon } from '../daemon.js';
import { ConfigError } from '../errors.js';
import { createOwnTable, sourceRef, tableRef } from '../store/index.js';
import { seed, type ScenarioName } from '../synth/index.js';
import { daemonPreparer, openSession, requireFeatureColumns, settleSession, type Session } from './common.js';
import { floorToHour } from './data.js';
import { waitForSignal } from './daemon.js';
import { buildHooks } from './hooks.js';

const MARKER_TABLE = 'driftwatch_demo';
const DEMO_SCENARIOS: ScenarioName[] = ['issuer-outage', 'score-drift', 'miscalibration', 'shadow-better', 'bad-rows', 'network-shift', 'ab-worse'];
/** Features the demo watches unless the config lists its own: two keys of the features map and a categorical column. */
const DEMO_FEATURES = ['amount_z', 'device_risk', 'card_network'];
const DEMO_DAYS = 8;

/** Makes room for fresh demo traffic, refusing to touch data the demo did not write. */
async function prepareStore({ store, config }: Session): Promise<void> {
  if (store.kind !== 'embedded') throw new ConfigError('demo writes synthetic traffic and runs only on the embedded store; remove store.url (use run/daemon for a real server)');
  await createOwnTable(store, config, `CREATE TABLE IF NOT EXISTS ${tableRef(config, MARKER_TABLE)} (seeded_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY seeded_at`, 'demo marker');
  const [marker] = await store.select<{ n: number }>(`SELECT count() AS n FROM ${tableRef(config, MARKER_TABLE)}`, {}, 'demo marker');
  const [events] = await store.select<{ n: number }>(`SELECT count() AS n FROM ${sourceRef(config.tables.events)}`, {}, 'demo check');
  if ((events?.n ?? 0) > 0 && (marker?.n ?? 0) === 0) {
    throw new ConfigError(`${config.store.path} already holds ${events?.n} scoring events that the demo did not write; point store.path at another directory to run the demo`);
  }
  // The demo's traffic ends at the current hour, so a previous demo's rows are stale: start again from empty.
  const own = await store.select<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = {database:String} AND engine NOT IN ('View', 'MaterializedView')`,
    { database: config.store.driftwatchDatabase },
    'demo tables',
  );
  const tables = [...own.map(({ name }) => tableRef(config, name)), sourceRef(config.tables.events), sourceRef(config.tables.outcomes)];
  for (const table of tables) await store.command(`TRUNCATE TABLE IF EXISTS ${table}`, {}, 'demo reset');
  await store.insert(tableRef(config, MARKER_TABLE), [{ seeded_at: new Date().toISOString().replace('T', ' ').replace('Z', '') }], 'demo marker');
}

export async function demoCommand(options: { config?: string }): Promise<number> {
  const session = await openSession(options.config, undefined, { createSources: true });
  if (session.config.features.length === 0) session.config = await requireFeatureColumns(session.store, { ...session.config, features: DEMO_FEATURES });
  const { store, config, logger } = session;
  try {
    await prepareStore(session);
    const end = floorToHour(new Date());
    logger.info({ days: DEMO_DAYS, scenarios: DEMO_SCENARIOS, store: store.location }, 'seeding synthetic payments traffic');
    const summary = await seed(store, config, { days: DEMO_DAYS, end, seed: 1, scenarios: DEMO_SCENARIOS }, logger);
    process.stdout.write(`seeded ${summary.events.toLocaleString('en-US')} scoring events and ${summary.outcomes.toLocaleString('en-US')} outcomes in ${summary.seconds.toFixed(1)} s; incidents injected:\n`);
    for (const target of summary.targets) process.stdout.write(`  - ${target.scenario}: ${target.description}\n`);
    // Learned from the traffic just seeded (unless configured): the authorisation outcomes' delay.
    const settled = (await settleSession(session, new Date())).config;
    const daemon = new Daemon({ config: settled, store, logger, beforeCycle: daemonPreparer(session), hooks: await buildHooks(session) });
    await daemon.start();
    process.stdout.write(`daemon running: metrics at ${daemon.url}/metrics — Ctrl-C to stop\n`);
    return await waitForSignal(async () => {
      await daemon.stop();
      await store.close().catch(() => undefined);
    });
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
