// Crash-test tools: runs the CLI under the kill-after-write preload, reads and classifies its write log, picks kill points.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnDriftwatch } from './cli.js';

/** The preload (plain ESM, so a plain `node` child loads it with `--import`). */
export const KILL_PRELOAD = fileURLToPath(new URL('./kill-after-write.mjs', import.meta.url));

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface WriteHooks {
  /** SIGKILL the child right after its N-th completed write. */
  killAfter?: number;
  /** Append one line per completed write to this file. */
  writeLog?: string;
}

/** `node bin/driftwatch.js …args` with the preload attached when a hook is asked for; resolves on exit, killed or not. */
export function runDriftwatch(args: string[], hooks: WriteHooks = {}, timeoutMs = 120_000): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, DRIFTWATCH_LOG_LEVEL: 'warn' };
  delete env.DRIFTWATCH_KILL_AFTER_WRITE;
  delete env.DRIFTWATCH_WRITE_LOG;
  if (hooks.killAfter !== undefined || hooks.writeLog !== undefined) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(KILL_PRELOAD).href}`.trim();
    if (hooks.killAfter !== undefined) env.DRIFTWATCH_KILL_AFTER_WRITE = String(hooks.killAfter);
    if (hooks.writeLog !== undefined) env.DRIFTWATCH_WRITE_LOG = hooks.writeLog;
  }
  return spawnDriftwatch(args, env, timeoutMs);
}

/** What a write does, from its logged statement: the kinds a rebuild is made of, and writes to the source tables (any but CREATE … IF NOT EXISTS). */
export type WriteKind = 'schema' | 'source' | 'ledger drop' | 'truncate' | 'fold' | 'ledger write' | 'marks' | 'superseded delete' | 'other';

export interface Write {
  n: number;
  method: string;
  /** How long the write took. */
  ms: number;
  what: string;
  kind: WriteKind;
  /** The table written (unquoted, without database), when the statement names one. */
  table?: string;
}

const TARGET = /^(?:ALTER TABLE|DELETE FROM|TRUNCATE TABLE(?: IF EXISTS)?|TRUNCATE|OPTIMIZE TABLE|INSERT(?: INTO)?|CREATE TABLE(?: IF NOT EXISTS)?)\s+([`"\w.]+)/i;

/** The table a statement writes, without quotes and database. */
export function writeTarget(what: string): string | undefined {
  const match = TARGET.exec(what);
  if (!match?.[1]) return undefined;
  const parts = match[1].split('.');
  return parts[parts.length - 1]?.replace(/[`"]/g, '');
}

export function writeKind(what: string, sources: readonly string[] = ['scoring_events', 'outcomes']): WriteKind {
  const table = writeTarget(what);
  if (table !== undefined && sources.includes(table) && !/^CREATE /i.test(what)) return 'source';
  // DDL on driftwatch's own tables (CREATE … IF NOT EXISTS, ALTER … ADD COLUMN IF NOT EXISTS) is schema upkeep.
  if (/^(CREATE|ALTER) /i.test(what)) return 'schema';
  if (table === undefined) return 'other';
  if (table === 'driftwatch_rollup_ledger') {
    if (/^DELETE /i.test(what)) return 'ledger drop';
    return /"kind":"mark:/.test(what) ? 'marks' : 'ledger write';
  }
  if (table.startsWith('driftwatch_rollup_')) {
    if (/^TRUNCATE/i.test(what)) return 'truncate';
    if (/^INSERT/i.test(what)) return 'fold';
    if (/^DELETE/i.test(what)) return 'superseded delete';
  }
  return 'other';
}

export interface WriteLog {
  writes: Write[];
  /** The write after which the preload killed the process, if it did. */
  killedAt?: number;
}

export function readWriteLog(file: string): WriteLog {
  if (!existsSync(file)) return { writes: [] };
  const log: WriteLog = { writes: [] };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const kill = /^KILL (\d+)$/.exec(line);
    if (kill) {
      log.killedAt = Number(kill[1]);
      continue;
    }
    const [n, method, ms, ...rest] = line.split('\t');
    const what = rest.join('\t');
    log.writes.push({ n: Number(n), method: method ?? '', ms: Number(ms), what, kind: writeKind(what), table: writeTarget(what) });
  }
  return log;
}

export interface KillPoint {
  k: number;
  why: string;
}

/**
 * Where to kill a run whose complete writes are `writes`: the first write, the last truncate (everything dropped,
 * nothing folded), the first fold of the second rollup table (a kind done, the next begun), the last fold (its
 * ledger write never made), the last ledger write (the marks never saved) and the last write; then the first write
 * of every kind not covered yet (the first ledger drop: the ledger gone, the rows not yet truncated).
 */
export function killPoints(writes: readonly Write[]): KillPoint[] {
  const points = new Map<number, string>();
  const add = (w: Write | undefined, why: string) => {
    if (w && !points.has(w.n)) points.set(w.n, `${why}: ${w.kind} ${w.table ?? ''}`.trim());
  };
  add(writes[0], 'first write');
  add(writes.findLast((w) => w.kind === 'truncate'), 'last truncate');
  const folds = writes.filter((w) => w.kind === 'fold');
  add(folds.find((w) => w.table !== folds[0]?.table), 'first fold of the second rollup table');
  add(folds[folds.length - 1], 'last fold, its ledger write not made');
  add(writes.findLast((w) => w.kind === 'ledger write'), 'last ledger write');
  add(writes[writes.length - 1], 'last write');
  const covered = new Set([...points.keys()].map((k) => writes[k - 1]?.kind));
  for (const kind of new Set(writes.map((w) => w.kind))) if (!covered.has(kind)) add(writes.find((w) => w.kind === kind), `first ${kind}`);
  return [...points].map(([k, why]) => ({ k, why })).sort((a, b) => a.k - b.k);
}
