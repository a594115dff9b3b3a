// Exposure: /metrics on loopback by default, config identifiers validated, and every value sent as a query parameter.
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsHook } from '../../src/cli/hooks.js';
import { parseConfig, quoteIdentifier, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import { Daemon } from '../../src/daemon.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ensureTables } from '../../src/setup.js';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { recording, tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const SQL_ISSUER = "x'); DROP TABLE outcomes; --";
// Placeholder look-alikes too: a value must never be expanded as a {{placeholder}} or bound as a {param:Type}.
const HOSTILE_MODELS = ["card-auth') OR 1=1 --", "quote'd", 'back\\slash', '{evil:String}', '{{events}}', '`tick`'];
const HOSTILE_FEATURES = ["f'1", 'back\\slash\\', 'f"2; DROP TABLE scoring_events', '{{outcomes}}', '{x:UInt8}'];

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.setTimeout(2_000, () => (socket.destroy(), done(false)));
  });
}

// One embedded store per test process: every describe shares it.
let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100, schedule: '0 0 1 1 *', sinks: { prometheus: { port: 0 } } });
  await ensureTables(t.store, t.config);
});
afterAll(() => t?.cleanup());

describe('/metrics binds to loopback unless told otherwise', () => {
  it('defaults to 127.0.0.1, answers there, and not on the machine\'s other addresses', async () => {
    expect(parseConfig({}).sinks.prometheus.host).toBe('127.0.0.1');
    const daemon = new Daemon({ config: t.config, store: t.store, runOnStart: false });
    await daemon.start();
    try {
      const port = Number(new URL(daemon.url as string).port);
      expect(new URL(daemon.url as string).hostname).toBe('127.0.0.1');
      expect(await connects('127.0.0.1', port)).toBe(true);
      const external = externalAddress();
      if (external) expect(await connects(external, port)).toBe(false);
      else console.warn('no non-loopback address on this machine: the "not reachable from outside" half is SKIPPED');
    } finally {
      await daemon.stop();
    }
  });

  it('sinks.prometheus.host opens it wider when asked', async () => {
    const external = externalAddress();
    const config: Config = { ...t.config, sinks: { ...t.config.sinks, prometheus: { ...t.config.sinks.prometheus, host: '0.0.0.0' } } };
    const daemon = new Daemon({ config, store: t.store, runOnStart: false });
    await daemon.start();
    try {
      const port = Number(new URL(daemon.url as string).port);
      if (external) expect(await connects(external, port)).toBe(true);
    } finally {
      await daemon.stop();
    }
  });
});

describe('identifiers from config are validated at load', () => {
  const paths = ['tables.events', 'tables.history', 'segments.0', 'store.database', 'store.driftwatchDatabase'];
  const set = (path: string, value: string): Record<string, unknown> => {
    const steps = path.split('.');
    if (steps[0] === 'segments') return { segments: [value] };
    return steps.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
  };

  /** Each value at `path` is refused when the config loads, the message naming the path. */
  const refusedAtLoad = (path: string, values: string[]) => {
    for (const value of values) {
      const error = (() => {
        try {
          parseConfig(set(path, value));
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error, `${path} = ${value}`).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(path);
    }
  };

  it.each(paths)('%s: "score; DROP" and friends are refused with the path named', (path) => {
    refusedAtLoad(path, ['score; DROP', 'a`b', "o'clock", 'x y', 'back\\slash', '']);
  });

  // A column mapping may be an expression (the engine's parser checks it when a session opens: test/store/sources.test.ts);
  // what could end its parentheses, or hide the rest of the statement, is refused at load.
  it.each(['columns.events.score', 'columns.outcomes.approved'])('%s: what would escape its parentheses is refused with the path named', (path) => {
    refusedAtLoad(path, [
      'score; DROP', 'a`b', "o'clock", '', ' ', 'x) FROM system.users --', '1 /* c */', 'score -- c', '(a', 'a)', "'it''s", '# c',
      // A $$ string hides a quote from the scan: $$'$$) … -- ' would end the parentheses and comment out the rest.
      "$$'$$) AS driftwatch_value FROM system.one) -- '", '$tag$x$tag$',
      // A value per row: no window, nothing that multiplies rows.
      'max(score) OVER ()', 'arrayJoin([score, score])',
    ]);
    for (const value of ["status = 'APPROVED'", "JSONExtractFloat(payload, 'score')", "x = 'a;b -- /* c'", '`odd name`']) expect(() => parseConfig(set(path, value)), value).not.toThrow();
  });

  it('nothing unvalidated can be quoted into SQL either', () => {
    expect(() => quoteIdentifier('score`; DROP TABLE x; --')).toThrow(RangeError);
    expect(quoteIdentifier('score')).toBe('`score`');
  });
});


describe('every value is a query parameter: injection through config and data', () => {
  let plain: CycleResult;
  let hostile: CycleResult;
  let statements: string[];

  beforeAll(async () => {
    const random = rng(3);
    const events = [];
    const outcomes = [];
    for (const issuer of ['BANK A', SQL_ISSUER]) {
      for (const [fromH, toH, n, shift] of [[8 * 24, 24, 1500, 0], [24, 0, 500, 0.3]] as const) {
        for (let i = 0; i < n; i++) {
          const time = new Date(AT.getTime() - fromH * HOUR + random() * (fromH - toH) * HOUR);
          const score = 0.5 + 0.4 * random();
          const value = random() + shift;
          const id = `${issuer === 'BANK A' ? 'a' : 's'}-${fromH}-${i}`;
          const features = Object.fromEntries([...HOSTILE_FEATURES, 'plain'].map((f) => [f, value]));
          events.push(eventRow({ time, id, issuer, region: 'EU', score, features }));
          outcomes.push(outcomeRow(id, new Date(time.getTime() + 60_000), random() < score ? 1 : 0));
        }
      }
    }
    await t.store.insert('scoring_events', events);
    await t.store.insert('outcomes', outcomes);

    plain = await runCycle(t.store, { ...t.config, models: ['card-auth'], features: ['plain'] }, { at: AT });
    const config: Config = { ...t.config, models: ['card-auth', ...HOSTILE_MODELS], features: ['plain', ...HOSTILE_FEATURES] };
    const store = recording(t.store);
    // The whole daemon path: cycle, history, alert state and its delivery (to a console that prints nowhere).
    const hook = await alertsHook({ store, config, logger: silentLogger }, {}, { console: { write: () => undefined } });
    const daemon = new Daemon({ config, store, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at: AT }) });
    await daemon.start();
    const outcome = await daemon.tick();
    await daemon.stop();
    expect(outcome?.error).toBeUndefined();
    hostile = outcome?.result as CycleResult;
    statements = store.statements;
  });

  it('no statement text carries a value from config or data', () => {
    expect(statements.length).toBeGreaterThan(10);
    const values = [SQL_ISSUER, ...HOSTILE_MODELS, ...HOSTILE_FEATURES];
    const inlined = statements.flatMap((sql) => values.filter((v) => sql.includes(v)).map((v) => `${v} in: ${sql.slice(0, 200)}`));
    expect(inlined).toEqual([]);
  });

  it('the tables are all still there, with every row', async () => {
    const [row] = await t.store.select<{ events: number; outcomes: number }>(`SELECT (SELECT count() FROM scoring_events) AS events, (SELECT count() FROM outcomes) AS outcomes`);
    expect(row).toEqual({ events: 4000, outcomes: 4000 });
  });

  it('results are right: hostile feature names measure what a plain name measures, hostile models match nothing', () => {
    const key = (e: Evaluation) => `${e.monitor} ${e.model} ${JSON.stringify(e.segment)} ${e.feature}${e.window !== undefined ? ` ${e.window}` : ''}`;
    const byKey = new Map(hostile.evaluations.map((e) => [key(e), e]));
    // The plain run's evaluations are all in the hostile run, with the same values (quality and FDR aside).
    // Sums may run in another order with more models in the query: equal to the last few bits.
    for (const e of plain.evaluations.filter((x) => x.monitor !== 'quality')) expect(byKey.get(key(e))?.value, key(e)).toBeCloseTo(e.value, 12);
    for (const issuer of ['BANK A', SQL_ISSUER]) {
      const segment = JSON.stringify({ issuer, region: 'EU' });
      const reference = byKey.get(`psi card-auth ${segment} plain 1d`);
      expect(reference?.value).toBeGreaterThan(0.25);
      for (const feature of HOSTILE_FEATURES) expect(byKey.get(`psi card-auth ${segment} ${feature} 1d`)?.value, feature).toBe(reference?.value);
    }
    expect(hostile.evaluations.filter((e) => e.monitor !== 'quality' && HOSTILE_MODELS.includes(e.model))).toEqual([]);
    const quality = hostile.evaluations.filter((e) => e.monitor === 'quality' && HOSTILE_MODELS.includes(e.model));
    expect(quality.every((e) => e.nCurrent === 0)).toBe(true);
  });
});
