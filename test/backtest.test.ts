// The backtest replays the daemon: an outage seeded at a known time fires after its onset (never before), and
// the replay writes nothing of the daemon's (history, alert state, outbox).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TABLE } from '../src/alerts/table.js';
import { backtest, backtestDocument, backtestSteps } from '../src/backtest.js';
import { parseConfig, type Config } from '../src/config/index.js';
import { ensureTables } from '../src/setup.js';
import { OUTBOX_TABLE } from '../src/sinks/outbox.js';
import { tableRef } from '../src/store/index.js';
import { seed, type SeedSummary } from '../src/synth/index.js';
import { tempStore, type TempStore } from './helpers/store.js';

const HOUR = 3_600_000;
const END = new Date('2026-11-20T12:00:00Z');
const ONSET = new Date(END.getTime() - 6 * HOUR);
let t: TempStore;
let config: Config;
let summary: SeedSummary;

beforeAll(async () => {
  t = await tempStore();
  config = parseConfig({ store: { path: t.config.store.path } });
  await ensureTables(t.store, config);
  summary = await seed(t.store, config, { days: 9, end: END, seed: 3, scenarios: ['issuer-outage'], eventsPerDay: 30_000, incidentStart: ONSET });
}, 120_000);
afterAll(() => t.cleanup());

const count = async (table: string) => Number((await t.store.select<{ n: string }>(`SELECT count() AS n FROM ${tableRef(config, table)}`, {}, 'count'))[0]?.n);

describe('backtest', () => {
  it('steps from --from to --to inclusive', () => {
    expect(backtestSteps(new Date(0), new Date(3 * HOUR), HOUR).map((d) => d.getTime() / HOUR)).toEqual([0, 1, 2, 3]);
    expect(backtestSteps(new Date(0), new Date(0), HOUR)).toHaveLength(1);
  });

  it('fires on the seeded outage after its onset, not before, and writes nothing of the daemon', async () => {
    const before = { history: await count(config.tables.history), alerts: await count(ALERTS_TABLE), outbox: await count(OUTBOX_TABLE) };
    const result = await backtest(t.store, config, { from: new Date(ONSET.getTime() - 2 * HOUR), to: END, everyMs: 2 * HOUR });
    expect(result.steps).toBe(5);
    const target = summary.targets.find((x) => x.scenario === 'issuer-outage');
    const outage = result.alerts.filter((a) => a.monitor === 'approval_rate' && a.feature === 'delta' && a.segment.issuer === target?.segment.issuer);
    expect(outage.length, JSON.stringify(result.alerts)).toBeGreaterThan(0);
    for (const a of outage) expect(a.firedAt.getTime()).toBeGreaterThan(ONSET.getTime());
    // Nothing fires on approval before the incident: the hours before it are clean traffic.
    expect(result.alerts.filter((a) => a.firedAt.getTime() <= ONSET.getTime() && a.monitor === 'approval_rate')).toEqual([]);
    expect({ history: await count(config.tables.history), alerts: await count(ALERTS_TABLE), outbox: await count(OUTBOX_TABLE) }).toEqual(before);

    const doc = backtestDocument(result);
    expect(doc.steps).toBe(5);
    expect(doc.alerts[0]?.firedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }, 300_000);
});
