// `npm run bench -- [--rows N …] [--runs R] [--naive-runs R] [--json]`: each size in a fresh process, a table on stderr, JSON last on stdout.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { SizeResult } from './size.js';

interface Args {
  rows: number[];
  runs: number;
  naiveRuns?: number;
  json: boolean;
  dir?: string;
  withAdvice: boolean;
}

const USAGE = 'usage: npm run bench -- [--rows N …] [--runs R (default 3)] [--naive-runs R] [--dir PATH (keep the data)] [--with-advice] [--json]';

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: [], runs: 3, json: false, withAdvice: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const count = (text: string) => {
      const n = Number(text.replace(/_/g, '').replace(/^(\d+(?:\.\d+)?)([km])$/i, (_m, d: string, u: string) => String(Number(d) * (u.toLowerCase() === 'k' ? 1e3 : 1e6))));
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive whole number, got ${text}\n${USAGE}`);
      return n;
    };
    if (flag === '--rows') args.rows.push(...value().split(',').map(count));
    else if (flag === '--runs') args.runs = count(value());
    else if (flag === '--naive-runs') args.naiveRuns = count(value());
    else if (flag === '--dir') args.dir = value();
    else if (flag === '--json') args.json = true;
    // Applies `driftwatch advise`'s DDL to the bench's own seeded tables before measuring (BENCHMARKS.md, "Source-table indexes").
    else if (flag === '--with-advice') args.withAdvice = true;
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (args.rows.length === 0) args.rows = [1_000_000, 10_000_000];
  return args;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function table(results: SizeResult[]): string {
  const head = '| rows | bare scan s | join s | cold cycle s | steady cycle s | one-window steady s | naive pull s | steady/bare | cold/join | set/one window | naive/steady | peak RSS MB |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines = results.map(
    (r) =>
      `| ${r.rows.toLocaleString('en-US')} | ${fmt(r.bareScanS)} | ${fmt(r.joinS)} | ${fmt(r.coldCycleS)} | ${fmt(r.cycleS)} | ${fmt(r.steadyOneWindowS)} | ${fmt(r.naiveS, 1)} | ${fmt(r.cycleOverBare)} | ${fmt(r.coldOverJoin)} | ${fmt(r.windowSetOverOne)} | ${fmt(r.naiveOverCycle, 0)} | ${r.peakRssMb} |`,
  );
  return [head, rule, ...lines].join('\n');
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const child = join(dirname(fileURLToPath(import.meta.url)), 'size.js');
  const results: SizeResult[] = [];
  for (const rows of args.rows) {
    console.error(`bench: ${rows.toLocaleString('en-US')} rows in a fresh process…`);
    const dir = args.dir ? join(args.dir, String(rows)) : undefined;
    // A fresh process per size: peak RSS is that size's alone, and one engine per process is all chdb allows.
    const run = spawnSync(process.execPath, ['--expose-gc', child, String(rows), String(args.runs), String(args.naiveRuns ?? args.runs), ...(dir ? [dir] : []), ...(args.withAdvice ? ['--with-advice'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !last.startsWith('{')) {
      console.error(`bench: the ${rows}-row run failed (exit ${run.status})`);
      return 1;
    }
    const result = JSON.parse(last) as SizeResult;
    results.push(result);
    if (result.advice) console.error(`bench: advice applied in ${result.advice.applySeconds} s: ${result.advice.ddl.length > 0 ? result.advice.ddl.join('; ') : 'none advised'}`);
    console.error(table(results));
  }
  const keys = ['rows', 'bareScanS', 'joinS', 'coldCycleS', 'cycleS', 'steadyOneWindowS', 'naiveS', 'cycleOverBare', 'coldOverJoin', 'windowSetOverOne', 'naiveOverCycle', 'peakRssMb', 'advice'] as const;
  if (args.json) process.stdout.write(`${JSON.stringify(results.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]]))))}\n`);
  else process.stdout.write(`${table(results)}\n`);
  return 0;
}

process.exitCode = main();
