// The approved outcome's maturity: learned once from the data (p99.9 of the outcome delay), kept, configurable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learnMaturity, maturityOf, MATURITY_TABLE, settleMaturity } from '../../src/aggregates/maturity.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { resolveWindows } from '../../src/core/windows.js';
import { runDocument } from '../../src/output.js';
import { runCycle } from '../../src/cycle.js';
import { ensureTables } from '../../src/setup.js';
import { chTime, tableRef } from '../../src/store/index.js';
import { seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { daemonPreparer } from '../../src/cli/common.js';
import { silentLogger } from '../../src/log.js';
import { ConfigError } from '../../src/errors.js';
import { RollupState } from '../../src/rollup/index.js';

const MINUTE = 60_000;
const END = new Date('2026-11-20T12:00:00Z');
let t: TempStore;
let config: Config;

beforeAll(async () => {
  t = await tempStore();
  config = t.config;
  await ensureTables(t.store, config);
}, 60_000);
afterAll(() => t.cleanup());

const stored = async () => Number((await t.store.select<{ n: string }>(`SELECT count() AS n FROM ${tableRef(config, MATURITY_TABLE)}`))[0]?.n);

describe('maturityOf', () => {
  it('rounds the delay up to a whole minute, within 1m–6h', () => {
    expect(maturityOf(0)).toBe(MINUTE);
    expect(maturityOf(59_000)).toBe(MINUTE);
    expect(maturityOf(61_000)).toBe(2 * MINUTE);
    expect(maturityOf(80_000)).toBe(2 * MINUTE);
    expect(maturityOf(3 * 3_600_000 + 1)).toBe(181 * MINUTE);
    expect(maturityOf(30 * 3_600_000)).toBe(6 * 3_600_000);
  });
});

describe('settleMaturity', () => {
  it('keeps the default, and stores nothing, while there are too few outcomes to learn from', async () => {
    const settled = await settleMaturity(t.store, config, END);
    expect(settled.learned).toBeUndefined();
    expect(settled.config.windows).toMatchObject({ maturity: 2 * 60 * MINUTE, maturitySource: 'default' });
    expect(await stored()).toBe(0);
  });

  it('learns the 99.9th percentile of authorisation delays on the day before yesterday, and keeps it', async () => {
    await seed(t.store, config, { days: 4, end: END, seed: 2, scenarios: [], eventsPerDay: 20_000 });
    const learned = await learnMaturity(t.store, config, END);
    // The synthetic feed answers in seconds (10 s mean; world.ts DELAYS): its p99.9 is about 70–90 s.
    expect(learned?.p999Ms).toBeGreaterThan(40_000);
    expect(learned?.p999Ms).toBeLessThan(120_000);
    expect(learned).toMatchObject({ maturityMs: 2 * MINUTE, from: new Date('2026-11-18T00:00:00Z'), to: new Date('2026-11-19T00:00:00Z') });
    // The day's live events with an outcome, checked by a query of its own.
    const [row] = await t.store.select<{ n: string }>(
      `SELECT count() AS n FROM scoring_events WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
         AND transaction_id IN (SELECT transaction_id FROM outcomes WHERE outcome_time < {at:DateTime64(3, 'UTC')})`,
      { from: chTime(learned?.from ?? 0), to: chTime(learned?.to ?? 0), at: chTime(END) },
    );
    expect(learned?.outcomes).toBe(Number(row?.n));

    const settled = await settleMaturity(t.store, config, END);
    expect(settled.config.windows).toMatchObject({ maturity: 2 * MINUTE, maturities: { approved: 2 * MINUTE }, maturitySource: 'learned' });
    expect(await stored()).toBe(1);
    // Kept: a later command, whatever its day, uses the stored value rather than learning again.
    const later = await settleMaturity(t.store, config, new Date(END.getTime() + 3 * 86_400_000));
    expect(later.learned?.maturityMs).toBe(2 * MINUTE);
    expect(await stored()).toBe(1);

    // The cycle's windows are shifted by it, and run --json says where it came from.
    const result = await runCycle(t.store, settled.config, { at: END });
    expect(result.windows.matured.current.to).toEqual(new Date(END.getTime() - 2 * MINUTE));
    expect(runDocument(result).windows.maturity).toEqual({ approved: { ms: 2 * MINUTE, duration: '2m', source: 'learned' } });
  }, 180_000);

  it('leaves a configured maturity alone', async () => {
    const configured = parseConfig({ store: { path: config.store.path }, windows: { maturity: { approved: '15m', chargeback: '60d' } } });
    const settled = await settleMaturity(t.store, configured, END);
    expect(settled.learned).toBeUndefined();
    expect(settled.config.windows).toMatchObject({ maturity: 15 * MINUTE, maturitySource: 'config', maturities: { chargeback: 60 * 86_400_000 } });
    expect(resolveWindows(settled.config, END).maturity).toEqual({ approved: 15 * MINUTE, source: 'config' });
  });

  it('refuses a learned maturity not shorter than the reference window, naming the key (exit 2)', async () => {
    const short = parseConfig({ store: { path: config.store.path }, windows: { current: '1m', reference: '2m' } });
    const error = await settleMaturity(t.store, short, END).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^windows\.reference: the approved outcome's maturity \(2m, learned from the data\) is not shorter than the reference window \(2m\)/);
  });

  it('a daemon that started on the default takes the maturity up at its next cycle, and stops asking once it has it', async () => {
    // As a daemon started before there were enough outcomes: the session still holds the default.
    const session = { config: parseConfig({ store: { path: config.store.path } }), store: t.store, logger: silentLogger, rollup: new RollupState() };
    expect(session.config.windows.maturitySource).toBe('default');
    const prepare = daemonPreparer(session);
    const first = await prepare(END);
    expect(first.config.windows).toMatchObject({ maturity: 2 * MINUTE, maturitySource: 'learned' });
    expect(session.config).toBe(first.config);
    expect(first.source).toBeDefined();
    // Learned: later cycles use it as it is.
    const second = await prepare(new Date(END.getTime() + 5 * MINUTE));
    expect(second.config).toBe(first.config);
  }, 120_000);

  it('a daemon on the default tries to learn once per UTC day, and keeps the default when the reference cannot hold what it learns', async () => {
    // A reference of 2m cannot hold the learned 2m (the next start would exit 2); the running daemon keeps going.
    const session = { config: parseConfig({ store: { path: config.store.path }, windows: { current: '1m', reference: '2m' } }), store: t.store, logger: silentLogger, rollup: new RollupState() };
    const prepare = daemonPreparer(session);
    const first = await prepare(END);
    expect(first.config.windows.maturitySource).toBe('default');
    const queries: string[] = [];
    const select = t.store.select.bind(t.store);
    t.store.select = (async (sql: string, params?: Record<string, unknown>, name?: string) => {
      queries.push(name ?? '');
      return select(sql, params, name);
    }) as typeof t.store.select;
    try {
      await prepare(new Date(END.getTime() + 5 * MINUTE));
      expect(queries.filter((q) => q === 'outcome_delay' || q === 'load maturity')).toEqual([]);
    } finally {
      t.store.select = select;
    }
  }, 120_000);
});
