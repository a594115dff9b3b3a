// Bounded waits: every statement carries store.statementTimeout to ClickHouse, and one that cannot finish fails with the cause and the fix.
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { formatDuration } from '../config/index.js';

/**
 * How long a statement may take. ClickHouse enforces `timeoutMs` itself (max_execution_time, which in the
 * engine we ship also bounds the wait for a DELETE's or ALTER's mutation, and lock_acquire_timeout for
 * table locks). The engine checks the limit only at certain points ("it cannot stop during merging of
 * aggregation states or during query analysis"), so the embedded store stops waiting for it a grace
 * period later (`backstopMs`); a remote store has store.requestTimeout for that.
 */
export interface StatementBounds {
  readonly timeoutMs: number;
  readonly backstopMs: number;
}

export function statementBounds(timeoutMs: number): StatementBounds {
  const graceMs = Math.min(30_000, Math.max(1_000, timeoutMs / 10));
  return { timeoutMs, backstopMs: timeoutMs + graceMs };
}

/**
 * The settings that bound every request. `timeout_overflow_mode` is spelled out because a server profile
 * may say `break`, which ends a statement early *without an error*: a fold would then insert part of its
 * hours and report success. lock_acquire_timeout goes to the embedded engine only: servers older than
 * 20.x reject it as an unknown setting, and a remote store's lock waits are cut by store.requestTimeout.
 */
export function boundSettings(bounds: StatementBounds, kind: 'embedded' | 'remote'): ClickHouseSettings {
  const seconds = Math.max(0.001, Math.round(bounds.timeoutMs) / 1000);
  return {
    max_execution_time: seconds,
    timeout_overflow_mode: 'throw',
    ...(kind === 'embedded' ? { lock_acquire_timeout: seconds } : {}),
  };
}

export interface TableTarget {
  /** Empty when the statement does not qualify the table (the current database). */
  database: string;
  table: string;
}

const NAME = '(?:`(?:[^`\\\\]|\\\\.)*`|[A-Za-z_][A-Za-z0-9_]*)';
const TABLE = `(${NAME})(?:\\s*\\.\\s*(${NAME}))?`;
const MUTATION = new RegExp(`^(?:DELETE\\s+FROM|ALTER\\s+TABLE|UPDATE)\\s+${TABLE}`, 'i');
const WRITE = new RegExp(
  `^(?:INSERT\\s+INTO(?:\\s+TABLE)?|DELETE\\s+FROM|ALTER\\s+TABLE|UPDATE|TRUNCATE(?:\\s+TABLE)?(?:\\s+IF\\s+EXISTS)?|OPTIMIZE\\s+TABLE|CREATE\\s+TABLE(?:\\s+IF\\s+NOT\\s+EXISTS)?)\\s+${TABLE}`,
  'i',
);

/** The statement without the comments and blank lines before it (queries/*.sql start with a comment). */
function statementStart(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (trimmed.startsWith('--')) rest = trimmed.slice(trimmed.indexOf('\n') === -1 ? trimmed.length : trimmed.indexOf('\n'));
    else if (trimmed.startsWith('/*')) rest = trimmed.slice(trimmed.indexOf('*/') === -1 ? trimmed.length : trimmed.indexOf('*/') + 2);
    else return trimmed;
  }
}

function unquote(name: string): string {
  return name.startsWith('`') ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name;
}

function target(pattern: RegExp, sql: string): TableTarget | undefined {
  const match = pattern.exec(statementStart(sql));
  if (!match?.[1]) return undefined;
  return match[2] ? { database: unquote(match[1]), table: unquote(match[2]) } : { database: '', table: unquote(match[1]) };
}

/** The table whose mutation a statement waits for: lightweight DELETE and UPDATE, and ALTER TABLE. */
export function mutationTarget(sql: string): TableTarget | undefined {
  return target(MUTATION, sql);
}

/** Statements that write to disk (data or metadata): on a full disk these fail, in whatever words. */
export function writesToDisk(sql: string): boolean {
  return /^(?:INSERT|DELETE|UPDATE|ALTER|TRUNCATE|OPTIMIZE|CREATE|DROP|RENAME|EXCHANGE|ATTACH|DETACH)\b/i.test(statementStart(sql));
}

/** The table a statement writes, if it names one (for finding the disk it writes to). */
export function writeTarget(sql: string): TableTarget | undefined {
  return target(WRITE, sql);
}

export function parseTableRef(ref: string): TableTarget | undefined {
  return target(new RegExp(`^${TABLE}\\s*$`), ref);
}

export interface EngineFailure {
  code: string | undefined;
  /** The engine's message, first line. */
  message: string;
}

/** ClickHouse's own error codes are numbers; a socket's (ECONNRESET, …) are not. */
export function engineFailure(error: unknown): EngineFailure | undefined {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const message = firstLine(typeof e?.message === 'string' ? e.message : String(error));
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return { code: e.code, message };
  // A message in the engine's own format that the client did not parse: its wording since 20.x
  // (`Code: 159. DB::Exception: …`) or before (`Code: 159, e.displayText() = DB::Exception: …`).
  const code = /^Code: (\d+)[.,]/.exec(message)?.[1];
  return code ? { code, message } : undefined;
}

const TIMEOUT_EXCEEDED = '159';
const TOO_SLOW = '160';
const NOT_ENOUGH_SPACE = '243';
const UNFINISHED = '341';
const DEADLOCK_AVOIDED = '473';

/** errno 28 (ENOSPC) in any of the engine's wordings: CANNOT_WRITE_TO_FILE_DESCRIPTOR, CANNOT_FSYNC, filesystem errors, … */
const DISK_FULL_TEXT = /No space left on device|\bENOSPC\b|errno: 28\b|Cannot reserve [^,]*, not enough space/i;

export type Stall = 'timeout' | 'lock' | 'mutation' | 'diskFull';

/** What kind of "cannot finish" an engine error is, if it is one. */
export function classifyStall(failure: EngineFailure | undefined): Stall | undefined {
  if (!failure) return undefined;
  if (failure.code === NOT_ENOUGH_SPACE || DISK_FULL_TEXT.test(failure.message)) return 'diskFull';
  if (failure.code === TIMEOUT_EXCEEDED) return 'timeout';
  // With max_execution_time set, the engine may also stop a statement early that it estimates would overrun it.
  if (failure.code === TOO_SLOW && /estimated query execution time/i.test(failure.message)) return 'timeout';
  if (failure.code === DEADLOCK_AVOIDED) return 'lock';
  // A mutation queued ahead of ours failed; ours waits behind it for good.
  if (failure.code === UNFINISHED) return 'mutation';
  return undefined;
}

/**
 * The limit a TIMEOUT_EXCEEDED names, in ms: `maximum: 1000 ms` (recent servers) or `maximum: 1` (seconds,
 * before 20.x). A server profile may hold a lower one than store.statementTimeout; the message says which.
 */
export function engineLimitMs(message: string): number | undefined {
  const match = /maximum: ([\d.]+)( ms)?/.exec(message);
  if (!match?.[1]) return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? (match[2] ? value : value * 1000) : undefined;
}

/** The first absolute path an engine message names (the file it could not write). */
export function pathInMessage(message: string): string | undefined {
  return /(?:^|[\s'"(])(\/[^\s'",;()]+)/.exec(message)?.[1];
}

export interface MutationRow {
  database: string;
  table: string;
  mutation_id: string;
  command: string;
  create_time: string;
  parts_to_do_names: string[];
  latest_fail_reason: string;
}

export interface DiskRow {
  name: string;
  path: string;
  free_space: number;
  unreserved_space: number;
}

export interface PartRow {
  name: string;
  bytes: number;
  disk: string;
}

/**
 * The engine starts a mutation of a part only with free, unreserved space of about 1.1 × the part
 * (MergeTreeDataMergerMutator's DISK_USAGE_COEFFICIENT_TO_RESERVE), and reserves at least 1 MiB for
 * any write: below that a mutation waits silently, without an error to show for it.
 */
const RESERVE_FACTOR = 1.1;
export const MIN_RESERVATION = 1024 * 1024;

/** The disk too full to rewrite a part a mutation still has to do, and what it would need. */
export function diskTooFull(parts: readonly PartRow[], disks: readonly DiskRow[]): { disk: DiskRow; part: PartRow; needs: number } | undefined {
  for (const part of [...parts].sort((a, b) => b.bytes - a.bytes)) {
    const disk = disks.find((d) => d.name === part.disk);
    if (!disk) continue;
    const needs = Math.max(MIN_RESERVATION, Math.ceil(part.bytes * RESERVE_FACTOR));
    if (disk.unreserved_space < needs) return { disk, part, needs };
  }
  return undefined;
}

/** The disk a path lies on: the longest disk path that is a prefix of it. */
export function diskOf(path: string, disks: readonly DiskRow[]): DiskRow | undefined {
  return [...disks].filter((d) => path.startsWith(d.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

/** Queries for the diagnosis, each bounded on its own (they read system tables and should take milliseconds). */
export class StallProbe {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly settings: ClickHouseSettings,
    private readonly limitMs: number,
  ) {}

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await this.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: this.settings, abort_signal: AbortSignal.timeout(this.limitMs) });
    return (await result.json()) as T[];
  }

  /** Mutations of the table that are not done, oldest first. */
  unfinishedMutations(target: TableTarget): Promise<MutationRow[]> {
    return this.rows<MutationRow>(
      `SELECT database, table, mutation_id, command, toString(create_time) AS create_time, parts_to_do_names, latest_fail_reason
FROM system.mutations
WHERE database = if({database:String} = '', currentDatabase(), {database:String}) AND table = {table:String} AND NOT is_done
ORDER BY create_time, mutation_id`,
      { ...target },
    );
  }

  async killMutations(database: string, table: string, ids: readonly string[]): Promise<void> {
    await this.client.command({
      query: 'KILL MUTATION WHERE database = {database:String} AND table = {table:String} AND mutation_id IN {ids:Array(String)}',
      query_params: { database, table, ids },
      clickhouse_settings: this.settings,
      abort_signal: AbortSignal.timeout(this.limitMs),
    });
  }

  disks(): Promise<DiskRow[]> {
    return this.rows<DiskRow>('SELECT name, path, free_space, unreserved_space FROM system.disks', {});
  }

  parts(database: string, table: string, names: readonly string[]): Promise<PartRow[]> {
    return this.rows<PartRow>(
      'SELECT name, bytes_on_disk AS bytes, disk_name AS disk FROM system.parts WHERE database = {database:String} AND table = {table:String} AND active AND has({names:Array(String)}, name)',
      { database, table, names },
    );
  }

  async dataPaths(target: TableTarget): Promise<string[]> {
    const rows = await this.rows<{ data_paths: string[] }>(
      `SELECT data_paths FROM system.tables WHERE database = if({database:String} = '', currentDatabase(), {database:String}) AND name = {table:String}`,
      { ...target },
    );
    return rows[0]?.data_paths ?? [];
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `store.statementTimeout 10m`. */
export function timeoutSetting(bounds: StatementBounds): string {
  return `store.statementTimeout ${formatDuration(bounds.timeoutMs)}`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** An engine message shortened for one line: the engine's reasons can quote whole expressions. */
export function shorten(text: string, max = 160): string {
  const line = firstLine(text).replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
