// Which daemon leads: a lease kept in driftwatch's database, taken and renewed by compare-and-set inserts.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config/index.js';
import { StoreQueryError } from './errors.js';
import { chTime, tableRef, type Store } from './store/index.js';
import { timeMs } from './sinks/queue.js';

export const LEASE_TABLE = 'driftwatch_leader';

/**
 * One row per change of the lease, version + 1 each time, inserted with the deduplication token `name:version`:
 * of two daemons writing the same version only the first insert is kept, so taking or renewing the lease is a
 * compare-and-set (the winner is told by write_id), as in the outbox (src/sinks/queue.ts). Merges keep the latest
 * version only, so the table stays one row and versions only grow. A Replicated database makes it a Replicated
 * table, whose deduplication does the same across replicas.
 */
export function leaseTableDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, LEASE_TABLE)} (
  name     String,
  version  UInt64,
  write_id String,
  holder   String,
  host     String,
  pid      UInt32,
  renewed  DateTime64(3, 'UTC'),
  expires  DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY name
SETTINGS non_replicated_deduplication_window = 1000`;
}

interface LeaseRow {
  name: string;
  version: number;
  write_id: string;
  holder: string;
  host: string;
  pid: number;
  renewed: string;
  expires: string;
}

/** Who holds the lease now, as the store says. */
export interface LeaseHolder {
  holder: string;
  host: string;
  pid: number;
  /** When the lease runs out unless renewed (ms, the store's clock). */
  expires: number;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal: the longest a dead leader keeps the others waiting. */
  ttlMs: number;
  /**
   * The store admits one process (the embedded engine, behind its lock): whatever lease an earlier process left,
   * this one takes it at once.
   */
  exclusive?: boolean;
  name?: string;
}

/**
 * A daemon's claim to lead. Times come from the store's clock (now64()), so daemons on hosts whose clocks disagree
 * still agree on when a lease ran out.
 */
export class LeaderLease {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly name: string;
  /** How long a lease lasts without renewal. */
  readonly ttlMs: number;
  /** The store admits one process (LeaseOptions.exclusive). */
  readonly exclusive: boolean;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly options: LeaseOptions,
  ) {
    this.name = options.name ?? 'daemon';
    this.ttlMs = options.ttlMs;
    this.exclusive = options.exclusive ?? false;
  }

  async ensureTable(): Promise<void> {
    await this.store.command(leaseTableDdl(this.config), {}, 'lease schema');
  }

  /** The lease as it stands, and the store's time. */
  async read(): Promise<{ current: LeaseRow | undefined; now: number }> {
    // Aggregates answer one row even when the table is empty (write_id '' then): the store's clock comes with it.
    const [row] = await this.store.select<{ [K in keyof LeaseRow as `l_${K}`]: LeaseRow[K] } & { now: string }>(
      `SELECT toString(now64(3, 'UTC')) AS now, max(version) AS l_version, argMax(write_id, version) AS l_write_id,
         argMax(holder, version) AS l_holder, argMax(host, version) AS l_host, argMax(pid, version) AS l_pid,
         toString(argMax(renewed, version)) AS l_renewed, toString(argMax(expires, version)) AS l_expires
       FROM ${tableRef(this.config, LEASE_TABLE)} WHERE name = {name:String}`,
      { name: this.name },
      'lease read',
    );
    if (!row) return { current: undefined, now: Date.now() };
    const current: LeaseRow | undefined = row.l_write_id
      ? { name: this.name, version: Number(row.l_version), write_id: row.l_write_id, holder: row.l_holder, host: row.l_host, pid: Number(row.l_pid), renewed: row.l_renewed, expires: row.l_expires }
      : undefined;
    return { current, now: timeMs(row.now) };
  }

  /**
   * Takes the lease if it is free (never taken, run out, released) or already ours, for ttlMs from now; true while
   * this daemon leads. Losing the race to another daemon, or finding the lease held, is false.
   */
  async acquire(): Promise<boolean> {
    const { current, now } = await this.read();
    const ours = current?.holder === this.holder;
    if (current && !ours && !this.options.exclusive && timeMs(current.expires) > now) {
      return false;
    }
    return (await this.write(current, now, now + this.options.ttlMs)) !== undefined;
  }

  /** Whether this daemon still holds an unexpired lease (read afresh: a daemon that stalled may have lost it). */
  async leading(): Promise<boolean> {
    const { current, now } = await this.read();
    return current?.holder === this.holder && timeMs(current.expires) > now;
  }

  /** Who holds the lease, if anyone does now. */
  async leader(): Promise<LeaseHolder | undefined> {
    const { current, now } = await this.read();
    if (!current || timeMs(current.expires) <= now) return undefined;
    return { holder: current.holder, host: current.host, pid: Number(current.pid), expires: timeMs(current.expires) };
  }

  /** Gives the lease up (a clean stop), so a standby takes over at its next look instead of after ttlMs. */
  async release(): Promise<void> {
    const { current, now } = await this.read();
    if (current?.holder !== this.holder) return;
    await this.write(current, now, now);
  }

  /** Compare-and-set: the next version with this daemon as holder; undefined when another daemon wrote it first. */
  private async write(current: LeaseRow | undefined, now: number, expires: number): Promise<LeaseRow | undefined> {
    const next: LeaseRow = {
      name: this.name,
      version: Number(current?.version ?? 0) + 1,
      write_id: randomUUID(),
      holder: this.holder,
      host: hostname(),
      pid: process.pid,
      renewed: chTime(now),
      expires: chTime(expires),
    };
    const table = tableRef(this.config, LEASE_TABLE);
    try {
      await this.store.client.insert({ table, values: [next], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `${this.name}:${next.version}` } });
    } catch (error) {
      throw new StoreQueryError('lease write', (error as Error)?.message ?? String(error), (error as { code?: string }).code, { cause: error });
    }
    const [winner] = await this.store.select<{ write_id: string }>(
      `SELECT write_id FROM ${table} WHERE name = {name:String} AND version = {version:UInt64} LIMIT 1`,
      { name: this.name, version: next.version },
      'lease check',
    );
    return winner?.write_id === next.write_id ? next : undefined;
  }
}
