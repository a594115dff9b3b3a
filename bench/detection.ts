// How soon driftwatch notices an incident, and how often it cries wolf on clean traffic: `driftwatch backtest` over
// seeded traffic (after `npm run bench` or `npx tsc -p tsconfig.bench.json`):
//   node dist/bench/detection.js latency SCENARIO SEED [EVENTS_PER_DAY]   onset → first critical, every 5 minutes
//   node dist/bench/detection.js clean SEED [DAYS] [EVENTS_PER_DAY]        alerts on clean traffic, every 15 minutes
// Each setting is replayed on the same store: the old defaults (one 24 h window, 2 h maturity, no sequential test)
// and today's (the window set, learned maturity, the sequential test). One JSON line per setting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settleMaturity } from '../src/aggregates/maturity.js';
import { backtest } from '../src/backtest.js';
import { parseConfig, type ConfigInput } from '../src/config/index.js';
import { ensureTables } from '../src/setup.js';
import { chTime, ensureSchema, openStore, type Store } from '../src/store/index.js';
import { seed, SCENARIOS, type ScenarioName } from '../src/synth/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const END = new Date('2026-11-20T12:00:00Z');
const SETTINGS: [string, ConfigInput][] = [
  ['old default: 24h, maturity 2h, no sequential test', { windows: { current: '24h', maturity: '2h' }, monitors: { approval_rate: { sequential: { enabled: false } }, psi: { sequential: { enabled: false } } } }],
  ['default: [15m, 1h, 6h, 24h], learned maturity, sequential test', {}],
];

// DETECTION_SETTINGS=default replays today's defaults only (the clean runs' long replays).
const SETTINGS_RUN = process.env.DETECTION_SETTINGS === 'default' ? SETTINGS.slice(1) : SETTINGS;
const [mode, ...rest] = process.argv.slice(2);
if (mode !== 'latency' && mode !== 'clean') throw new Error('usage: detection.js latency SCENARIO SEED [EVENTS_PER_DAY] | clean SEED [DAYS] [EVENTS_PER_DAY]');

/** Live events an hour of one segment, averaged over the day before `to`. */
async function hourlyVolume(store: Store, issuer: string, region: string, to: Date): Promise<number> {
  const [row] = await store.select<{ n: string }>(
    `SELECT count() AS n FROM scoring_events WHERE variant = 'live' AND model = 'card-auth' AND issuer = {issuer:String} AND region = {region:String}
       AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
    { issuer, region, from: chTime(to.getTime() - 24 * HOUR), to: chTime(to) },
    'volume',
  );
  return Number(row?.n ?? 0) / 24;
}

async function withStore(run: (store: Store, storeInput: { path: string }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-detection-'));
  const storeInput = { path: join(dir, 'data') };
  const base = parseConfig({ store: storeInput });
  const store = openStore(base);
  try {
    await ensureSchema(store, base);
    await ensureTables(store, base);
    await run(store, storeInput);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function configured(store: Store, storeInput: { path: string }, input: ConfigInput, at: Date) {
  return (await settleMaturity(store, parseConfig({ ...input, store: storeInput }), at)).config;
}

if (mode === 'latency') {
  const scenario = rest[0] as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}; one of ${SCENARIOS.join(', ')}`);
  const seedValue = Number(rest[1] ?? 1);
  const eventsPerDay = Number(rest[2] ?? 120_000);
  const onset = new Date(END.getTime() - 3 * HOUR);
  await withStore(async (store, storeInput) => {
    const summary = await seed(store, parseConfig({ store: storeInput }), { days: 10, end: END, seed: seedValue, scenarios: [scenario], eventsPerDay, incidentStart: onset });
    const target = summary.targets[0];
    const perHour = target?.segment.issuer ? await hourlyVolume(store, target.segment.issuer, target.segment.region ?? '', onset) : undefined;
    for (const [name, input] of SETTINGS_RUN) {
      const from = new Date(onset.getTime() - HOUR);
      const config = await configured(store, storeInput, input, from);
      const started = Date.now();
      const result = await backtest(store, config, { from, to: END, everyMs: 5 * MINUTE });
      const onTarget = result.alerts.filter((a) => a.severity === 'critical' && (target?.segment.issuer === undefined || (a.segment.issuer === target.segment.issuer && a.segment.region === target.segment.region)));
      const first = new Map<string, number>();
      for (const a of onTarget) {
        const key = `${a.monitor}/${a.feature}`;
        const minutes = (a.firedAt.getTime() - onset.getTime()) / MINUTE;
        if (!first.has(key) || (first.get(key) as number) > minutes) first.set(key, minutes);
      }
      const line = {
        mode,
        scenario,
        seed: seedValue,
        eventsPerDay,
        segment: target?.segment,
        segmentEventsPerHour: perHour !== undefined ? Math.round(perHour) : undefined,
        maturity: config.windows.maturity / MINUTE,
        setting: name,
        steps: result.steps,
        seconds: (Date.now() - started) / 1000,
        firstCriticalMinutesAfterOnset: Object.fromEntries(first),
        windows: [...new Set(onTarget.map((a) => a.window))],
        criticalElsewhere: result.alerts.filter((a) => a.severity === 'critical' && !onTarget.includes(a)).length,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  });
} else {
  const seedValue = Number(rest[0] ?? 1);
  const days = Number(rest[1] ?? 2);
  const eventsPerDay = Number(rest[2] ?? 120_000);
  await withStore(async (store, storeInput) => {
    await seed(store, parseConfig({ store: storeInput }), { days: 8 + days, end: END, seed: seedValue, scenarios: [], eventsPerDay });
    for (const [name, input] of SETTINGS_RUN) {
      const from = new Date(END.getTime() - days * 24 * HOUR);
      const config = await configured(store, storeInput, input, from);
      const started = Date.now();
      const result = await backtest(store, config, { from, to: END, everyMs: 15 * MINUTE });
      const line = {
        mode,
        seed: seedValue,
        days,
        eventsPerDay,
        maturity: config.windows.maturity / MINUTE,
        setting: name,
        steps: result.steps,
        seconds: (Date.now() - started) / 1000,
        critical: result.alerts.filter((a) => a.severity === 'critical').map((a) => ({ monitor: a.monitor, feature: a.feature, window: a.window, segment: Object.values(a.segment).join('/'), firedAt: a.firedAt.toISOString() })),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  });
}
