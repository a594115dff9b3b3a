// The durable queue under the Slack outbox and the weekly report record: versioned rows, claim with a lease, backoff, dead state.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { StoreQueryError } from '../errors.js';
import { backoffDelay } from '../retry.js';
import { chTime, createOwnTable, tableRef, type Store } from '../store/index.js';

export type QueueState<Done extends string> = 'pending' | 'sending' | Done | 'dead';

/** The columns every queue has; a user's row adds its key, payload, done time and receipt columns. */
export interface QueueRow<Done extends string = string> {
  version: number;
  write_id: string;
  created: string;
  state: QueueState<Done>;
  attempts: number;
  next_attempt: string;
  owner: string;
  lease_until: string;
  last_error: string;
}

/** What a user of the queue names: its table and columns. The mechanics are the same for all of them. */
export interface QueueSpec<Done extends string> {
  table: string;
  /** The item's key column (one item, many versions). */
  key: string;
  /**
   * The payload's columns, as DDL lines (`name Type`). The queue's `created` column follows them, or stands where a
   * bare `'created'` is listed: existing tables have it there, and new ones match them.
   */
  payload: readonly string[];
  /** The state of a delivered item, and the column of its time. */
  done: Done;
  doneAt: string;
  /** The String column that keeps what the receiver handed back. */
  receipt: string;
  ttlDays: number;
  /** How many recent tokens ClickHouse remembers: more than the versions written while an item can still change. */
  dedupWindow: number;
  /** Names of its statements, as errors and logs show them. */
  statements: { schema: string; read: string; due: string; claim: string; write: string };
}

export interface QueueOptions {
  /** Who claims items; unique per process by default. */
  owner?: string;
  /** How long a claim on an item lasts; after it, a crashed deliverer's item is retried. */
  leaseMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts before an item is given up (state `dead`). */
  maxAttempts?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export type QueueDefaults = Required<Pick<QueueOptions, 'leaseMs' | 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts'>>;

/** A failed attempt as recorded: the row written (undefined if another writer got there first), and when it is retried. */
export interface Failure<R> {
  row: R | undefined;
  dead: boolean;
  retryInMs: number;
}

/** ClickHouse DateTime64 text (UTC, space-separated) as epoch ms. */
export const timeMs = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);

/**
 * Every change of an item is a new row with version + 1, inserted with the deduplication token `key:version`:
 * ClickHouse keeps only the first insert of a token, so of two writers of the same version one wins, which makes
 * each write a compare-and-set (the winner is told by `write_id`). FINAL reads the latest version.
 */
export function queueTableDdl<Done extends string>(config: Config, spec: QueueSpec<Done>): string {
  const columns = [
    `${spec.key} String`, 'version UInt64', 'write_id String', ...(spec.payload.includes('created') ? spec.payload : [...spec.payload, 'created']),
    `state Enum8('pending' = 1, 'sending' = 2, '${spec.done}' = 3, 'dead' = 4)`, 'attempts UInt32', "next_attempt DateTime64(3, 'UTC')",
    'owner String', "lease_until DateTime64(3, 'UTC')", `${spec.doneAt} Nullable(DateTime64(3, 'UTC'))`, `${spec.receipt} String`, 'last_error String',
  ];
  const lines = columns.map((c) => (c === 'created' ? "created DateTime64(3, 'UTC')" : c)).map((c) => {
    const [name, ...type] = c.trim().split(/\s+/);
    return `  ${(name as string).padEnd(13)} ${type.join(' ')}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, spec.table)} (
${lines.join(',\n')}
) ENGINE = ReplacingMergeTree(version)
ORDER BY ${spec.key}
TTL toDateTime(created) + INTERVAL ${spec.ttlDays} DAY
SETTINGS non_replicated_deduplication_window = ${spec.dedupWindow}`;
}

/**
 * Delivery guarantees, for every user. An item is claimed (compare-and-set, with a lease) before it is sent and
 * marked done right after the receiver returns, so a done item is never sent again, by this or any other process,
 * after any restart. The one remaining window: the receiver accepted it but we did not record it (the process died
 * before the mark, or the response was lost to a timeout); after the lease it is sent again. Nothing is lost: an item
 * stays until done or `maxAttempts` runs out (`dead`). Leases compare clocks, so processes on several hosts need
 * synchronised clocks.
 */
export class DurableQueue<Done extends string, R extends QueueRow<Done>> {
  readonly owner: string;
  readonly now: () => number;
  /** The last `created` given (ms): see `add`. */
  private lastCreated = 0;
  readonly leaseMs: number;
  private readonly policy: QueueDefaults;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly spec: QueueSpec<Done>,
    defaults: QueueDefaults,
    options: QueueOptions = {},
  ) {
    this.owner = options.owner ?? randomUUID();
    this.now = options.now ?? Date.now;
    this.policy = {
      leaseMs: options.leaseMs ?? defaults.leaseMs,
      baseDelayMs: options.baseDelayMs ?? defaults.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? defaults.maxDelayMs,
      maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
    };
    this.leaseMs = this.policy.leaseMs;
  }

  get table(): string {
    return tableRef(this.config, this.spec.table);
  }

  async ensureTable(): Promise<void> {
    await createOwnTable(this.store, this.config, queueTableDdl(this.config, this.spec), this.spec.statements.schema);
  }

  /**
   * Stores a new item (version 0, due now); storing the same key again keeps the first. `created` increases with
   * every add of this queue, even within one millisecond (or a test's fixed clock), so items added in order are
   * read back in that order.
   */
  async add(item: Partial<R>): Promise<void> {
    const nowMs = this.now();
    this.lastCreated = Math.max(nowMs, this.lastCreated + 1);
    const now = chTime(nowMs);
    const row = {
      ...item,
      version: 0, write_id: randomUUID(), created: chTime(this.lastCreated), state: 'pending', attempts: 0, next_attempt: now, owner: '', lease_until: now,
      [this.spec.doneAt]: null, [this.spec.receipt]: '', last_error: '',
    } as unknown as R;
    await this.insertOnce(row);
  }

  /** The latest version of one item. */
  async get(key: string): Promise<R | undefined> {
    const [row] = await this.store.select<R>(`SELECT * FROM ${this.table} FINAL WHERE ${this.spec.key} = {key:String} LIMIT 1`, { key }, this.spec.statements.read);
    return row;
  }

  /** Keys of the items due at `now`: pending past their backoff, or claimed by a process whose lease ran out. */
  async due(now: number): Promise<string[]> {
    const rows = await this.store.select<Record<string, string>>(
      `SELECT ${this.spec.key} FROM ${this.table} FINAL
       WHERE (state = 'pending' AND next_attempt <= {now:DateTime64(3, 'UTC')}) OR (state = 'sending' AND lease_until <= {now:DateTime64(3, 'UTC')})
       ORDER BY ${this.spec.key}`,
      { now: chTime(now) },
      this.spec.statements.due,
    );
    return rows.map((r) => String(r[this.spec.key]));
  }

  /** Claims an item at `at` (ms) for one attempt: undefined when another process claimed that version first. */
  claim(row: R, at: number): Promise<R | undefined> {
    return this.write(row, { state: 'sending', owner: this.owner, lease_until: chTime(at + this.leaseMs), attempts: row.attempts + 1 } as Partial<R>);
  }

  /** Marks a claimed item done with its receipt: undefined when the claim ran out and another process took it over. */
  complete(claimed: R, receipt: string): Promise<R | undefined> {
    return this.write(claimed, { state: this.spec.done, [this.spec.doneAt]: chTime(this.now()), [this.spec.receipt]: receipt, last_error: '' } as Partial<R>);
  }

  /** Records a failed attempt: pending again after the backoff, or dead after `maxAttempts`. */
  async fail(claimed: R, message: string): Promise<Failure<R>> {
    const dead = claimed.attempts >= this.policy.maxAttempts;
    const retryInMs = backoffDelay(claimed.attempts, { baseMs: this.policy.baseDelayMs, maxMs: this.policy.maxDelayMs });
    const row = await this.write(claimed, { state: dead ? 'dead' : 'pending', next_attempt: chTime(this.now() + retryInMs), last_error: message.slice(0, 1000) } as Partial<R>);
    return { row, dead, retryInMs };
  }

  /** Compare-and-set: `row` + changes as the next version; undefined when another writer got that version first. */
  private async write(row: R, changes: Partial<R>): Promise<R | undefined> {
    const next: R = { ...row, ...changes, version: Number(row.version) + 1, write_id: randomUUID() };
    await this.insertOnce(next);
    const key = String((next as unknown as Record<string, unknown>)[this.spec.key]);
    const [winner] = await this.store.select<{ write_id: string }>(
      `SELECT write_id FROM ${this.table} WHERE ${this.spec.key} = {key:String} AND version = {version:UInt64} LIMIT 1`,
      { key, version: next.version },
      this.spec.statements.claim,
    );
    return winner?.write_id === next.write_id ? next : undefined;
  }

  private async insertOnce(row: R): Promise<void> {
    const key = String((row as unknown as Record<string, unknown>)[this.spec.key]);
    try {
      await this.store.client.insert({ table: this.table, values: [row], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `${key}:${row.version}` } });
    } catch (error) {
      throw new StoreQueryError(this.spec.statements.write, (error as Error)?.message ?? String(error), (error as { code?: string }).code, { cause: error });
    }
  }
}
