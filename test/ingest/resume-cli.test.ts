// `driftwatch ingest` killed (SIGKILL) mid-file and run again: every line lands once (needs `npm run build`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openStore, packageRoot } from '../../src/store/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { eventRow } from './rows.js';

const HOOK = pathToFileURL(fileURLToPath(new URL('../helpers/kill-after-write.mjs', import.meta.url))).href;

let t: TempStore;
let configFile: string;
beforeAll(async () => {
  t = await tempStore();
  await t.store.close(); // the CLI opens the same data directory in its own process
  configFile = join(t.dir, 'driftwatch.yaml');
  writeFileSync(configFile, `store: { path: ${JSON.stringify(t.config.store.path)} }\n`);
});
afterAll(() => t.cleanup().catch(() => undefined));

/** `count` lines, transaction ids `<prefix>-<line>`, over ten days; the lines in `bad` are not JSON. Returns the path. */
function writeFile(prefix: string, count: number, bad: readonly number[]): string {
  const broken = new Set(bad);
  const lines = Array.from({ length: count }, (_, i) => {
    const line = i + 1;
    if (broken.has(line)) return `{"transaction_id": "${prefix}-${line}"`;
    const time = `2026-11-${10 + (i % 10)} ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.${String(i % 1000).padStart(3, '0')}`;
    return JSON.stringify(eventRow(i, { transaction_id: `${prefix}-${line}`, event_time: time }));
  });
  const path = join(t.dir, `${prefix}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Rows of the file in the table, distinct ids among them, and rows of its bad lines (which must be none). */
async function landed(prefix: string, bad: readonly number[]): Promise<{ rows: number; ids: number; bad: number }> {
  const store = openStore(t.config);
  try {
    const [row] = await store.select<{ rows: number; ids: number; bad: number }>(
      'SELECT count() AS rows, uniqExact(transaction_id) AS ids, countIf(transaction_id IN {bad:Array(String)}) AS bad FROM scoring_events WHERE startsWith(transaction_id, {p:String})',
      { p: `${prefix}-`, bad: bad.map((line) => `${prefix}-${line}`) },
    );
    return row ?? { rows: NaN, ids: NaN, bad: NaN };
  } finally {
    await store.close();
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `driftwatch ingest …` in a child process. With `kill`, the child is sent SIGKILL `delayMs` after it logged its
 * `afterBatches`-th landed batch (debug log), wherever it then is: parsing, counting ids, writing the ledger, inserting.
 */
function ingest(file: string, env: NodeJS.ProcessEnv, kill?: { afterBatches: number; delayMs: number }): Promise<Run> {
  const args = [join(packageRoot, 'bin', 'driftwatch.js'), 'ingest', '--config', configFile, '--table', 'scoring_events', '--file', file];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, DRIFTWATCH_LOG_LEVEL: kill ? 'debug' : 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let batches = 0;
    let doomed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      batches += text.split('"msg":"batch landed').length - 1;
      if (kill && !doomed && batches >= kill.afterBatches) {
        doomed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ingest of ${file} timed out; stderr: ${stderr.slice(-2000)}`));
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

const BAD = [1, 777, 8_000, 8_001, 50_123, 99_999, 150_000, 170_001, 199_999, 200_000];
const LINES = 200_000;
const VALID = LINES - BAD.length;
const BATCH = { DRIFTWATCH_INGEST_BATCH_ROWS: '8000' };

describe('ingest killed mid-file', () => {
  let file: string;
  beforeAll(() => {
    file = writeFile('big', LINES, BAD);
  });

  it('SIGKILLed three times at different moments, the same command then lands each line exactly once', async () => {
    let before = 0;
    for (const kill of [
      { afterBatches: 4, delayMs: 0 },
      { afterBatches: 5, delayMs: 130 },
      { afterBatches: 3, delayMs: 380 },
    ]) {
      const run = await ingest(file, BATCH, kill);
      expect(run.signal, run.stderr.slice(-2000)).toBe('SIGKILL');
      const now = await landed('big', BAD);
      // Progress each time, never a row twice, never a bad line.
      expect(now.rows).toBeGreaterThan(before);
      expect(now.rows).toBeLessThan(VALID);
      expect(now).toEqual({ rows: now.rows, ids: now.rows, bad: 0 });
      before = now.rows;
    }

    const last = await ingest(file, BATCH);
    expect(last.code, last.stderr).toBe(0);
    const loaded = Number(/loaded (\d+) rows into scoring_events, skipped 10 bad lines of 200000/.exec(last.stdout)?.[1]);
    const already = Number(/(\d+) rows had already been loaded by an earlier run of this file and were not sent again/.exec(last.stdout)?.[1]);
    expect(already).toBeGreaterThanOrEqual(before);
    expect(loaded + already).toBe(VALID);
    // The bad lines are reported as in any run, by line number.
    for (const line of BAD) expect(last.stdout).toContain(`line ${line}: not valid JSON`);
    expect(await landed('big', BAD)).toEqual({ rows: VALID, ids: VALID, bad: 0 });
  });

  it('run again once complete, it lands nothing new', async () => {
    const again = await ingest(file, BATCH);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`loaded 0 rows into scoring_events, skipped 10 bad lines of ${LINES}`);
    expect(again.stdout).toContain(`${VALID} rows had already been loaded by an earlier run of this file and were not sent again`);
    expect(await landed('big', BAD)).toEqual({ rows: VALID, ids: VALID, bad: 0 });
  });
});

describe('ingest killed inside a batch (a preload SIGKILLs it right after one statement)', () => {
  const kills = [
    {
      name: 'after the batch insert returned, before the ledger says it landed',
      on: 'INSERT INTO `scoring_events` SETTINGS insert_deduplication_token',
      landedAtKill: 12_000,
      message: 'lines 8001–12000 were being sent when an earlier run stopped: 4000 of their 4000 rows had landed, sent the other 0',
    },
    {
      name: 'after the batch was marked pending, before its insert',
      on: '"state":"pending"',
      landedAtKill: 8_000,
      message: 'lines 8001–12000 were being sent when an earlier run stopped: 0 of their 4000 rows had landed, sent the other 4000',
    },
  ];
  it.each(kills)('$name: the same command lands each line once', async ({ on, landedAtKill, message }) => {
    const prefix = on.startsWith('INSERT') ? 'window' : 'pending';
    const path = writeFile(prefix, 24_000, []);
    const env = { DRIFTWATCH_INGEST_BATCH_ROWS: '4000' };
    const killed = await ingest(path, { ...env, NODE_OPTIONS: `--import=${HOOK}`, DRIFTWATCH_KILL_ON: on, DRIFTWATCH_KILL_AFTER_WRITE: '3' });
    expect(killed.signal, killed.stderr.slice(-2000)).toBe('SIGKILL');
    expect(await landed(prefix, [])).toEqual({ rows: landedAtKill, ids: landedAtKill, bad: 0 });

    const resumed = await ingest(path, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(message);
    expect(resumed.stdout).toContain(`${landedAtKill} rows had already been loaded by an earlier run of this file and were not sent again`);
    expect(await landed(prefix, [])).toEqual({ rows: 24_000, ids: 24_000, bad: 0 });
  });
});
