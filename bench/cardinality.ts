// The segment-cardinality axis: the same rows segmented by merchant × region, with more or fewer merchants, each in
// a fresh process. `npm run bench:segments -- [--rows N] [--merchants A,B,C] [--runs R]`; a table on stderr, JSON
// last on stdout. What grows with segments and not with rows: the rollup's rows per hour, the running sums and
// strips per segment, and Node's per-segment statistics.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollupSource } from '../src/aggregates/index.js';
import { settleMaturity } from '../src/aggregates/maturity.js';
import { parseConfig, type Config } from '../src/config/index.js';
import { runCycle } from '../src/cycle.js';
import { createLogger } from '../src/log.js';
import { refreshRollup, RollupState } from '../src/rollup/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { seed } from '../src/synth/index.js';
import { appendFiveMinutes, PENDING_OUTCOMES, prepareBenchStore } from './baselines.js';
import { measure, median } from './measure.js';
import { timeQueries } from './size.js';

const DAYS = 14;
const END = new Date('2026-11-20T00:00:00Z');
/** Rows per live transaction the generator writes (bench/size.ts). */
const ROWS_PER_TRANSACTION = 1.225;

export interface CardinalityResult {
  rows: number;
  merchants: number;
  /** Model × segment (merchant × region) of the last 24 h with a live event, and those PSI judged (enough volume). */
  segments: number;
  judgedSegments: number;
  coldCycleS: number;
  steadyCycleS: number;
  steadySeconds: number[];
  peakRssMb: number;
  steadyQueriesS: Record<string, number>;
}

function segmentConfig(path: string): Config {
  return parseConfig({ store: { path }, segments: ['merchant_id', 'region'] });
}

async function cycle(store: Store, config: Config, at: Date, state: RollupState) {
  await refreshRollup(store, config, at, { state });
  return runCycle(store, config, { at, source: rollupSource(store, config, state) });
}

export async function runCardinality(rows: number, merchants: number, runs: number): Promise<CardinalityResult> {
  const log = createLogger({ pretty: false });
  const dir = mkdtempSync(joinPath(tmpdir(), 'driftwatch-bench-segments-'));
  let config = segmentConfig(joinPath(dir, 'data'));
  const store = openStore(config, log);
  try {
    // As deployed: driftwatch's tables exist before traffic lands; the source tables are only read.
    await prepareBenchStore(store, config);
    const seeded = await seed(store, config, { days: DAYS, end: END, seed: 1, scenarios: [], merchants, eventsPerDay: Math.round(rows / DAYS / ROWS_PER_TRANSACTION), pendingOutcomes: PENDING_OUTCOMES }, log);
    config = (await settleMaturity(store, config, END, log)).config;
    const [count] = await store.select<{ n: number }>(
      `SELECT uniqExact(model, merchant_id, region) AS n FROM scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
      { from: '2026-11-19 00:00:00.000', to: '2026-11-20 00:00:00.000' },
      'bench segments',
    );
    const state = new RollupState();
    const cold = await measure(1, () => cycle(store, config, END, state));
    const at = (run: number) => new Date(END.getTime() + (run + 1) * 300_000);
    // A first steady cycle off the hour reads its edge strips whole (BENCHMARKS.md): untimed, as in bench/size.ts.
    await appendFiveMinutes(store, at(0));
    await cycle(store, config, at(0), state);
    let steadyQueriesS: Record<string, number> = {};
    let judged = 0;
    const steady = await measure(
      runs,
      async (run) => {
        const timed = await timeQueries(store, () => cycle(store, config, at(run + 1), state));
        steadyQueriesS = timed.queries;
        judged = new Set(timed.result.evaluations.filter((e) => e.monitor === 'psi' && e.feature === 'score').map((e) => `${e.model} ${JSON.stringify(e.segment)}`)).size;
      },
      (run) => appendFiveMinutes(store, at(run + 1)),
    );
    return {
      rows: seeded.events,
      merchants,
      segments: Number(count?.n ?? 0),
      judgedSegments: judged,
      coldCycleS: Number((cold.seconds[0] as number).toFixed(3)),
      steadyCycleS: Number(median(steady.seconds).toFixed(3)),
      steadySeconds: steady.seconds.map((s) => Number(s.toFixed(3))),
      peakRssMb: Math.max(cold.peakRssMb, steady.peakRssMb),
      steadyQueriesS,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function parse(argv: string[]): { rows: number; merchants: number[]; runs: number } {
  const out = { rows: 4_000_000, merchants: [2_000, 10_000, 40_000], runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--rows') out.rows = Number(value);
    else if (flag === '--merchants') out.merchants = value.split(',').map(Number);
    else if (flag === '--runs') out.runs = Number(value);
    else throw new Error(`unknown argument ${flag}; usage: npm run bench:segments -- [--rows N] [--merchants A,B,C] [--runs R]`);
  }
  if (![out.rows, out.runs, ...out.merchants].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--rows, --merchants and --runs take positive whole numbers');
  return out;
}

function main(): number {
  const args = parse(process.argv.slice(2));
  const results: CardinalityResult[] = [];
  for (const merchants of args.merchants) {
    process.stderr.write(`bench: ${args.rows.toLocaleString('en-US')} rows, ${merchants.toLocaleString('en-US')} merchants, in a fresh process…\n`);
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), 'child', String(args.rows), String(merchants), String(args.runs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (child.status !== 0) {
      process.stderr.write(`bench: the ${merchants}-merchant run failed (exit ${child.status})\n`);
      return 1;
    }
    results.push(JSON.parse(child.stdout.trim().split('\n').pop() as string) as CardinalityResult);
  }
  const base = results[0] as CardinalityResult;
  const lines = [
    '| merchants | model × segments (24 h) | judged | cold s | steady s | steady / first | peak RSS MB |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.merchants.toLocaleString('en-US')} | ${r.segments.toLocaleString('en-US')} | ${r.judgedSegments.toLocaleString('en-US')} | ${r.coldCycleS.toFixed(2)} | ${r.steadyCycleS.toFixed(2)} | ${(r.steadyCycleS / base.steadyCycleS).toFixed(2)} | ${r.peakRssMb} |`),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(results)}\n`);
  return 0;
}

if (process.argv[2] === 'child') {
  const [rows, merchants, runs] = process.argv.slice(3).map(Number);
  runCardinality(rows as number, merchants as number, runs as number)
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
} else if (process.argv[1] && dirname(process.argv[1]) === dirname(fileURLToPath(import.meta.url)) && process.argv[1].endsWith('cardinality.js')) {
  process.exitCode = main();
}
