// One benchmark size in a fresh process: generate N rows in an embedded store in a temp dir, then time the five steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { rollupSource } from '../src/aggregates/index.js';
import { settleMaturity } from '../src/aggregates/maturity.js';
import { parseConfig, type Config } from '../src/config/index.js';
import { ofLongestWindow } from '../src/core/windows.js';
import { runCycle } from '../src/cycle.js';
import { createLogger } from '../src/log.js';
import { dropRollup, refreshRollup, RollupState } from '../src/rollup/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { seed } from '../src/synth/index.js';
import { PENDING_OUTCOMES, appendFiveMinutes, bareScan, join, prepareBenchStore } from './baselines.js';
import { measure, median, type Step } from './measure.js';
import { naivePull } from './naive.js';
import { advise } from '../src/cli/advice/advice.js';

/** Rows per live transaction the generator writes (shadow rows on a quarter of card-auth): N rows need N / 1.225 transactions. */
const ROWS_PER_TRANSACTION = 1.225;
const DAYS = 14;
/** Fixed, so every run generates the same rows. */
const END = new Date('2026-11-20T00:00:00Z');

export interface SizeResult {
  rows: number;
  bareScanS: number;
  joinS: number;
  coldCycleS: number;
  cycleS: number;
  /** The steady cycle with one 24 h window and no sequential test (the defaults before issue 16), and the ratio. */
  steadyOneWindowS: number;
  windowSetOverOne: number;
  naiveS: number;
  cycleOverBare: number;
  coldOverJoin: number;
  naiveOverCycle: number;
  peakRssMb: number;
  /** Peak RSS per step: the driftwatch figure above is the larger of cold and steady. */
  peakRssByStepMb: Record<string, number>;
  seconds: Record<string, number[]>;
  seedSeconds: number;
  naiveMatches: boolean;
  /** Seconds per query and statement of the last steady cycle. */
  steadyQueriesS: Record<string, number>;
  /** With --with-advice: the statements `driftwatch advise` printed, applied to the bench's own seeded tables before any step, and how long they took. */
  advice?: AppliedAdvice;
}

/** What --with-advice applied: the statements, how long they took, and advise's granule counts per read (now → expected with them). */
export interface AppliedAdvice {
  ddl: string[];
  applySeconds: number;
  gains: string[];
}

export interface SizeOptions {
  rows: number;
  runs: number;
  naiveRuns: number;
  dir?: string;
  /** Apply what `driftwatch advise` advises (its DDL, MATERIALIZE waited for) before measuring. Off by default: the bench's sources are only read. */
  withAdvice?: boolean;
}

/** Cycles as a daemon runs them, every monitor on (the defaults): refresh the rollup, then the monitors read from it. */
function benchConfig(path: string): Config {
  return parseConfig({ store: { path } });
}

/** The defaults before the window set (issue 16): one 24 h window and neither sequential test, for the cost of the set. */
function oneWindowConfig(path: string): Config {
  return parseConfig({ store: { path }, windows: { current: '24h' }, monitors: { approval_rate: { sequential: { enabled: false } }, psi: { sequential: { enabled: false } } } });
}

/** A daemon cycle: refresh, then the monitors read through a source of this cycle over the state a daemon keeps across cycles. */
async function cycle(store: Store, config: Config, at: Date, state: RollupState) {
  await refreshRollup(store, config, at, { state });
  return runCycle(store, config, { at, source: rollupSource(store, config, state) });
}

/** Seconds per named query and statement while `run` runs: where a cycle's time goes. */
export async function timeQueries<T>(store: Store, run: () => Promise<T>): Promise<{ result: T; queries: Record<string, number> }> {
  const queries: Record<string, number> = {};
  const add = (name: string, t0: number) => (queries[name] = Number(((queries[name] ?? 0) + (performance.now() - t0) / 1000).toFixed(3)));
  const select = store.select.bind(store);
  const command = store.command.bind(store);
  store.select = async <R>(sql: string, params?: Record<string, unknown>, name = 'select'): Promise<R[]> => {
    const t0 = performance.now();
    try {
      return await select<R>(sql, params, name);
    } finally {
      add(name, t0);
    }
  };
  // Statements too (the folds are INSERT … SELECT), under their query's name.
  store.command = async (sql: string, params?: Record<string, unknown>, name = 'command'): Promise<void> => {
    const t0 = performance.now();
    try {
      await command(sql, params, name);
    } finally {
      add(name, t0);
    }
  };
  try {
    return { result: await run(), queries };
  } finally {
    store.select = select;
    store.command = command;
  }
}

/** Runs `driftwatch advise` as of the data's end and applies its statements, each MATERIALIZE waited for (mutations_sync = 2). */
async function applyAdvice(store: Store, config: Config): Promise<AppliedAdvice> {
  const doc = await advise(store, config, END);
  const ddl = doc.advice.flatMap((a) => a.ddl);
  const gains = doc.advice.flatMap((a) => a.gains.map((g) => `${a.key} ${g.read}: ${g.now} → ~${g.expected} of ${g.total} granules`));
  const t0 = performance.now();
  for (const statement of ddl) await store.command(/MATERIALIZE INDEX/.test(statement) ? `${statement} SETTINGS mutations_sync = 2` : statement, {}, 'bench apply advice');
  return { ddl, applySeconds: Number(((performance.now() - t0) / 1000).toFixed(2)), gains };
}

export async function runSize(options: SizeOptions): Promise<SizeResult> {
  const log = createLogger({ pretty: false });
  const dir = options.dir ?? mkdtempSync(joinPath(tmpdir(), 'driftwatch-bench-'));
  let config = benchConfig(joinPath(dir, 'data'));
  const store = openStore(config, log);
  try {
    // As deployed: driftwatch's tables exist before traffic lands; the source tables are only read.
    await prepareBenchStore(store, config);
    const t0 = performance.now();
    const seeded = await seed(store, config, { days: DAYS, end: END, seed: 1, scenarios: [], eventsPerDay: Math.round(options.rows / DAYS / ROWS_PER_TRANSACTION), pendingOutcomes: PENDING_OUTCOMES }, log);
    const seedSeconds = (performance.now() - t0) / 1000;
    log.info({ rows: seeded.events, outcomes: seeded.outcomes, seconds: Math.round(seedSeconds) }, 'bench data generated');
    // As the daemon starts: the approved outcome's maturity learned from the data (two minutes on these delays).
    config = (await settleMaturity(store, config, END, log)).config;
    // --with-advice: the DBA's choice, made on the bench's own tables (never the default: `npm run bench` only reads them).
    const advice = options.withAdvice ? await applyAdvice(store, config) : undefined;
    if (advice) log.info(advice, 'bench applied the advice');

    const steps: Record<string, Step> = {};
    steps.bare = await measure(options.runs, () => bareScan(store, config, END));
    steps.join = await measure(options.runs, () => join(store, config, END, seeded.events));
    // One rollup state for the whole process, as before it was module-wide: a drop re-folds every hour under new
    // versions, so the running sums start over; strips the drop leaves valid are read from the state.
    const state = new RollupState();
    steps.cold = await measure(options.runs, () => cycle(store, config, END, state), () => dropRollup(store, config, state));
    // Each steady run is the next daemon cycle: five more minutes of traffic, then refresh + cycle at the new end.
    const steadyAt = (run: number) => new Date(END.getTime() + (run + 1) * 300_000);
    let last = await cycle(store, config, END, state);
    let steadyQueries: Record<string, number> = {};
    steps.steady = await measure(
      options.runs,
      async (run) => {
        const timed = await timeQueries(store, () => cycle(store, config, steadyAt(run), state));
        last = timed.result;
        steadyQueries = timed.queries;
      },
      (run) => appendFiveMinutes(store, steadyAt(run)),
    );
    // The same steady cycle with one 24 h window and no sequential test, on a state of its own warmed by one cycle.
    const single = (await settleMaturity(store, oneWindowConfig(joinPath(dir, 'data')), END)).config;
    const singleState = new RollupState();
    await appendFiveMinutes(store, steadyAt(options.runs));
    await cycle(store, single, steadyAt(options.runs), singleState);
    steps.steadyOneWindow = await measure(
      options.runs,
      async (run) => {
        await cycle(store, single, steadyAt(options.runs + 1 + run), singleState);
      },
      (run) => appendFiveMinutes(store, steadyAt(options.runs + 1 + run)),
    );
    const at = steadyAt(options.runs - 1);
    let naive = await naivePull(store, config, at);
    steps.naive = await measure(options.naiveRuns, async () => (naive = await naivePull(store, config, at)));

    // The naive numbers must be the cycle's, or the comparison is unfair to one side.
    const psi = last.evaluations.filter((e) => e.monitor === 'psi' && e.feature === 'score' && ofLongestWindow(e, last.windows));
    const naiveMatches = psi.length === naive.psi.size && psi.every((e) => Math.abs((naive.psi.get(`${e.model}\t${Object.values(e.segment).join('\t')}`) ?? NaN) - e.value) < 1e-9);
    const m = (name: string) => median(steps[name]?.seconds ?? [NaN]);
    const result: SizeResult = {
      rows: seeded.events,
      bareScanS: m('bare'),
      joinS: m('join'),
      coldCycleS: m('cold'),
      cycleS: m('steady'),
      naiveS: m('naive'),
      cycleOverBare: m('steady') / m('bare'),
      steadyOneWindowS: m('steadyOneWindow'),
      windowSetOverOne: m('steady') / m('steadyOneWindow'),
      coldOverJoin: m('cold') / m('join'),
      naiveOverCycle: m('naive') / m('steady'),
      peakRssMb: Math.max(steps.cold?.peakRssMb ?? 0, steps.steady?.peakRssMb ?? 0),
      peakRssByStepMb: Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, s.peakRssMb])),
      seconds: Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, s.seconds.map((x) => Number(x.toFixed(3)))])),
      seedSeconds: Number(seedSeconds.toFixed(1)),
      naiveMatches,
      steadyQueriesS: steadyQueries,
      ...(advice ? { advice } : {}),
    };
    log.info(result, 'bench size done');
    return result;
  } finally {
    await store.close();
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Child-process entry: `node dist/bench/size.js ROWS RUNS NAIVE_RUNS [DIR] [--with-advice]`, the result as the last stdout line. */
if (process.argv[1]?.endsWith('size.js')) {
  const args = process.argv.slice(2);
  const [rows, runs, naiveRuns, dir] = args.filter((a) => a !== '--with-advice');
  runSize({ rows: Number(rows), runs: Number(runs), naiveRuns: Number(naiveRuns), dir, withAdvice: args.includes('--with-advice') })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
