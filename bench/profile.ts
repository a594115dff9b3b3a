// Where a cycle's time goes: `node dist/bench/profile.js ROWS DIR [STEADY_RUNS]` keeps the generated rows in DIR
// (generated once), then times a cold cycle and steady cycles query by query. A development aid for the rollup.
// PROFILE_WINDOWS=one profiles the one-window config (24 h, no sequential test) instead of the defaults. The
// approved outcome's maturity is settled (learned) first, as the daemon does. PROFILE_CPU=FILE writes a V8 CPU
// profile of the steady cycles only (open it in Chrome DevTools, or sum self time per function).
// PROFILE_MERCHANTS=N segments by merchant × region over N merchants.
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join as joinPath } from 'node:path';
import { rollupSource } from '../src/aggregates/index.js';
import { settleMaturity } from '../src/aggregates/maturity.js';
import { parseConfig } from '../src/config/index.js';
import { runCycle } from '../src/cycle.js';
import { createLogger } from '../src/log.js';
import { dropRollup, ensureRollupTables, refreshRollup, RollupState } from '../src/rollup/index.js';
import { ensureTables } from '../src/setup.js';
import { openStore, type Store } from '../src/store/index.js';
import { seed } from '../src/synth/index.js';
import { appendFiveMinutes, bareScan, createPendingOutcomes, PENDING_OUTCOMES } from './baselines.js';

const END = new Date('2026-11-20T00:00:00Z');

function instrument(store: Store): { take: () => Record<string, number> } {
  let queries: Record<string, number> = {};
  for (const method of ['select', 'command'] as const) {
    const original = (store[method] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (store as unknown as Record<string, unknown>)[method] = async (sql: string, params?: unknown, name = method) => {
      const t0 = performance.now();
      try {
        return await original(sql, params, name);
      } finally {
        queries[name] = (queries[name] ?? 0) + (performance.now() - t0) / 1000;
      }
    };
  }
  return {
    take: () => {
      const out = queries;
      queries = {};
      return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(v.toFixed(3))]));
    },
  };
}

async function main(): Promise<void> {
  const [rowsArg, dir, runsArg] = process.argv.slice(2);
  const rows = Number(rowsArg);
  const log = createLogger({ pretty: false, level: process.env.LOG_LEVEL ?? 'warn' });
  const oneWindow = process.env.PROFILE_WINDOWS === 'one' ? { windows: { current: '24h' }, monitors: { approval_rate: { sequential: { enabled: false } }, psi: { sequential: { enabled: false } } } } : {};
  // PROFILE_MERCHANTS=N segments by merchant × region over N merchants (bench/cardinality.ts's axis).
  // It applies when DIR is seeded: a DIR seeded before keeps its merchants.
  const merchants = process.env.PROFILE_MERCHANTS ? Number(process.env.PROFILE_MERCHANTS) : undefined;
  if (merchants !== undefined && !(Number.isInteger(merchants) && merchants > 0)) throw new Error(`PROFILE_MERCHANTS: a positive whole number, got ${process.env.PROFILE_MERCHANTS}`);
  let config = parseConfig({ store: { path: joinPath(dir as string, 'data') }, ...oneWindow, ...(merchants ? { segments: ['merchant_id', 'region'] } : {}) });
  const fresh = !existsSync(joinPath(dir as string, 'data'));
  const store = openStore(config, log);
  await ensureTables(store, config);
  await ensureRollupTables(store, config);
  await createPendingOutcomes(store);
  if (fresh) await seed(store, config, { days: 14, end: END, seed: 1, scenarios: [], eventsPerDay: Math.round(rows / 14 / 1.225), pendingOutcomes: PENDING_OUTCOMES, ...(merchants ? { merchants } : {}) }, log);
  // steady cycles continue from the last appended five minutes
  const [latest] = await store.select<{ last: number }>('SELECT toUnixTimestamp(max(event_time)) AS last FROM scoring_events', {}, 'last');
  const last = latest?.last ?? 0;
  let at = new Date(Math.max(END.getTime(), Math.ceil((Number(last) * 1000) / 300_000) * 300_000));
  config = (await settleMaturity(store, config, at, log)).config;
  console.log('maturity', config.windows.maturitySource, config.windows.maturity / 1000, 's');
  const probe = instrument(store);
  let t0 = performance.now();
  await bareScan(store, config, at);
  console.log('bare', ((performance.now() - t0) / 1000).toFixed(3));
  probe.take();
  // The state a daemon keeps across its cycles; each cycle reads through a source of its own.
  const state = new RollupState();
  await dropRollup(store, config, state);
  probe.take();
  t0 = performance.now();
  await refreshRollup(store, config, at, { state });
  const refreshS = (performance.now() - t0) / 1000;
  await runCycle(store, config, { at, source: rollupSource(store, config, state) });
  console.log('cold', ((performance.now() - t0) / 1000).toFixed(3), 'refresh', refreshS.toFixed(3), JSON.stringify(probe.take()));
  const cpu = process.env.PROFILE_CPU ? new Session() : undefined;
  if (cpu) {
    cpu.connect();
    await cpu.post('Profiler.enable');
    await cpu.post('Profiler.start');
  }
  for (let run = 0; run < Number(runsArg ?? 3); run++) {
    at = new Date(at.getTime() + 300_000);
    await appendFiveMinutes(store, at);
    probe.take();
    t0 = performance.now();
    await refreshRollup(store, config, at, { state });
    const r = (performance.now() - t0) / 1000;
    await runCycle(store, config, { at, source: rollupSource(store, config, state) });
    const total = (performance.now() - t0) / 1000;
    const q = probe.take();
    const inQueries = Object.values(q).reduce((a, b) => a + b, 0);
    console.log('steady', at.toISOString(), total.toFixed(3), 'refresh', r.toFixed(3), 'node', (total - inQueries).toFixed(3), JSON.stringify(q));
  }
  if (cpu) {
    const { profile } = await cpu.post('Profiler.stop');
    writeFileSync(process.env.PROFILE_CPU as string, JSON.stringify(profile));
    cpu.disconnect();
  }
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
