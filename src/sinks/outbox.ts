// The durable outbox: a notification is stored before any receiver sees it and marked delivered the moment it is.
import { createHash, randomUUID } from 'node:crypto';
import type { AnyNotification, NotificationQueue } from '../alerts/types.js';
import type { Config } from '../config/index.js';
import { StoreQueryError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { chTime, tableRef, type Store } from '../store/index.js';

/** What a receiver hands back about a delivered message (Slack: channel and ts), kept as the thread's root. */
export type Receipt = Record<string, string>;

export interface DeliveryContext {
  /** Outbox id: the same across every retry of one notification. */
  id: string;
  /** Receipt of the first delivered message of this notification's thread; reply under it. */
  thread?: Receipt;
  /** No request may start after this time (ms): past it, another deliverer may take the item over. */
  deadline: number;
}

/** A delivery adapter (Slack, …): one attempt per call, throwing when the message was not accepted. */
export interface Receiver {
  readonly name: string;
  /** Longest a single request may stay in flight; the deadline leaves this much room before the lease ends. */
  readonly requestTimeoutMs?: number;
  deliver(notification: AnyNotification, context: DeliveryContext): Promise<Receipt | void>;
}

export interface OutboxOptions {
  logger?: Logger;
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

export type OutboxState = 'pending' | 'sending' | 'delivered' | 'dead';

export interface FlushReport {
  delivered: number;
  failed: number;
  /** Not due yet, claimed by another deliverer, or waiting for an earlier message of its thread. */
  deferred: number;
}

/** What the daemon holds: queue notifications (before the engine commits), and retry whatever is due. */
export interface AlertDelivery extends NotificationQueue {
  readonly sink: string;
  flush(): Promise<FlushReport>;
  send(notifications: readonly AnyNotification[]): Promise<FlushReport>;
}

export const OUTBOX_TABLE = 'driftwatch_outbox';

/**
 * Every change of an item is a new row with version + 1, inserted with the deduplication token `id:version`:
 * ClickHouse keeps only the first insert of a token, so of two deliverers writing the same version one wins,
 * which makes each write a compare-and-set (the winner is told by `write_id`). FINAL reads the latest version.
 */
export function outboxTableDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, OUTBOX_TABLE)} (
  id            String,
  version       UInt64,
  write_id      String,
  sink          LowCardinality(String),
  thread        String,
  at            DateTime64(3, 'UTC'),
  kind          LowCardinality(String),
  payload       String,
  created       DateTime64(3, 'UTC'),
  state         Enum8('pending' = 1, 'sending' = 2, 'delivered' = 3, 'dead' = 4),
  attempts      UInt32,
  next_attempt  DateTime64(3, 'UTC'),
  owner         String,
  lease_until   DateTime64(3, 'UTC'),
  delivered_at  Nullable(DateTime64(3, 'UTC')),
  receipt       String,
  last_error    String
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
TTL toDateTime(created) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000`;
}

export async function ensureOutboxTable(store: Store, config: Config): Promise<void> {
  await store.command(outboxTableDdl(config), {}, 'outbox schema');
}

/** Deterministic: the same notification enqueued twice is one message. */
export function outboxId(sink: string, n: Pick<AnyNotification, 'groupKey' | 'at' | 'kind'>): string {
  return createHash('sha256').update(`${sink}\n${n.groupKey}\n${n.at.toISOString()}\n${n.kind}`).digest('hex').slice(0, 32);
}

/**
 * Messages of one group announcement share a thread; its first delivered message is the root. A shadow's verdict
 * messages share one thread for as long as the outbox remembers (a verdict key is JSON, ending in `]`, so it
 * never equals an alert thread, which ends in a time).
 */
export function threadKey(n: AnyNotification): string {
  return n.kind === 'verdict' ? n.groupKey : `${n.groupKey}#${n.episode.toISOString()}`;
}

interface OutboxRow {
  id: string;
  version: number;
  write_id: string;
  sink: string;
  thread: string;
  at: string;
  kind: string;
  payload: string;
  created: string;
  state: OutboxState;
  attempts: number;
  next_attempt: string;
  owner: string;
  lease_until: string;
  delivered_at: string | null;
  receipt: string;
  last_error: string;
}

export interface OutboxItem {
  id: string;
  sink: string;
  thread: string;
  kind: string;
  state: OutboxState;
  attempts: number;
  nextAttempt: Date;
  deliveredAt?: Date;
  receipt?: Receipt;
  lastError: string;
  notification: AnyNotification;
}

const DATE_KEYS = new Set(['at', 'episode', 'since', 'firingSince', 'resolvedAt']);
const ms = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

/** Notifications travel as JSON: dates come back as Dates, and non-finite numbers (JSON null) as NaN. */
export function parseNotification(payload: string): AnyNotification {
  return JSON.parse(payload, (key, value: unknown) => {
    if (DATE_KEYS.has(key) && typeof value === 'string') return new Date(value);
    if ((key === 'value' || key === 'threshold') && value === null) return Number.NaN;
    if ((key === 'pValue' || key === 'qValue') && value === null) return undefined;
    return value;
  }) as AnyNotification;
}

/** Slack tokens never reach a log line or the table, whatever an error message carries. */
export function scrubSecrets(text: string): string {
  return text.replace(/xox[a-z]-[A-Za-z0-9-]+/g, '[redacted]').replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
}

/**
 * Delivery guarantees. An item is claimed (compare-and-set, with a lease) before it is sent and marked delivered
 * right after the receiver returns, so a delivered item is never sent again, by this or any other deliverer, after
 * any restart. The one remaining window: the receiver's service accepted the message but we did not record it
 * (the process died in the milliseconds before the mark, or the response was lost to a timeout); after the lease
 * the item is sent again, so that message may appear twice. Nothing is ever lost: an item stays until delivered
 * or `maxAttempts` runs out (state `dead`, logged as an error). Leases compare clocks, so deliverers on several
 * hosts need synchronised clocks.
 */
export class Outbox implements AlertDelivery {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly roots = new Map<string, Receipt>();
  private readonly owner: string;
  private readonly now: () => number;
  private readonly logger: Logger;

  private constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly receiver: Receiver,
    private readonly options: OutboxOptions,
  ) {
    this.owner = options.owner ?? randomUUID();
    this.now = options.now ?? Date.now;
    this.logger = (options.logger ?? silentLogger).child({ module: 'outbox', sink: receiver.name });
  }

  static async open(store: Store, config: Config, receiver: Receiver, options: OutboxOptions = {}): Promise<Outbox> {
    await ensureOutboxTable(store, config);
    return new Outbox(store, config, receiver, options);
  }

  get sink(): string {
    return this.receiver.name;
  }

  private get table(): string {
    return tableRef(this.config, OUTBOX_TABLE);
  }

  /** Stores notifications for delivery; returns their ids. Enqueuing one twice stores it once. */
  async enqueue(notifications: readonly AnyNotification[]): Promise<string[]> {
    const ids: string[] = [];
    for (const n of notifications) {
      const id = outboxId(this.receiver.name, n);
      const now = chTime(this.now());
      await this.insertOnce({
        id, version: 0, write_id: randomUUID(), sink: this.receiver.name, thread: threadKey(n), at: chTime(n.at), kind: n.kind,
        payload: JSON.stringify(n), created: now, state: 'pending', attempts: 0, next_attempt: now, owner: '', lease_until: now,
        delivered_at: null, receipt: '', last_error: '',
      });
      ids.push(id);
    }
    return ids;
  }

  /** Delivers every due item, oldest first; calls are serialised so one outbox never sends an item twice itself. */
  flush(): Promise<FlushReport> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async send(notifications: readonly AnyNotification[]): Promise<FlushReport> {
    await this.enqueue(notifications);
    return this.flush();
  }

  /** Every item of this sink, newest first (for checks and tests). */
  async items(): Promise<OutboxItem[]> {
    const rows = await this.store.select<OutboxRow>(`SELECT * FROM ${this.table} FINAL WHERE sink = {sink:String} ORDER BY at DESC, created DESC`, { sink: this.receiver.name }, 'outbox items');
    return rows.map((r) => ({
      id: r.id, sink: r.sink, thread: r.thread, kind: r.kind, state: r.state, attempts: r.attempts, nextAttempt: new Date(ms(r.next_attempt)),
      ...(r.delivered_at ? { deliveredAt: new Date(ms(r.delivered_at)) } : {}),
      ...(r.receipt ? { receipt: JSON.parse(r.receipt) as Receipt } : {}),
      lastError: r.last_error, notification: parseNotification(r.payload),
    }));
  }

  private async flushNow(): Promise<FlushReport> {
    const rows = await this.store.select<OutboxRow>(
      `SELECT * FROM ${this.table} FINAL WHERE sink = {sink:String} AND state IN ('pending', 'sending') ORDER BY at, created, id`,
      { sink: this.receiver.name },
      'outbox due',
    );
    const report: FlushReport = { delivered: 0, failed: 0, deferred: 0 };
    // A thread whose earlier message is not out yet waits, so a follow-up never lands before (or without) its parent.
    const blocked = new Set<string>();
    for (const row of rows) {
      const due = row.state === 'pending' ? ms(row.next_attempt) <= this.now() : ms(row.lease_until) <= this.now();
      const outcome = blocked.has(row.thread) || !due ? 'deferred' : await this.deliverOne(row);
      if (outcome !== 'delivered') blocked.add(row.thread);
      report[outcome]++;
    }
    return report;
  }

  private async deliverOne(row: OutboxRow): Promise<keyof FlushReport> {
    const leaseMs = this.options.leaseMs ?? 120_000;
    const thread = await this.threadRoot(row.thread);
    const claimedAt = this.now();
    const claimed = await this.write(row, { state: 'sending', owner: this.owner, lease_until: chTime(claimedAt + leaseMs), attempts: row.attempts + 1 });
    if (!claimed) return 'deferred';
    // Room for the last request to finish (or time out) before the lease ends and someone else may retry.
    const deadline = claimedAt + leaseMs - (this.receiver.requestTimeoutMs ?? 0) - leaseMs / 10;
    let receipt: Receipt | void;
    try {
      receipt = await this.receiver.deliver(parseNotification(row.payload), { id: row.id, deadline, ...(thread ? { thread } : {}) });
    } catch (error) {
      await this.recordFailure(claimed, error);
      return 'failed';
    }
    // Marked right after the receiver returns: a crash before this line is the one window in which a message
    // that was accepted can be sent again (after the lease expires).
    const done = await this.write(claimed, { state: 'delivered', delivered_at: chTime(this.now()), receipt: JSON.stringify(receipt ?? {}), last_error: '' });
    if (!done) this.logger.error({ id: row.id }, 'delivered after the claim expired and another deliverer took it over: it may be sent twice; raise leaseMs');
    if (receipt && !this.roots.has(row.thread)) this.roots.set(row.thread, receipt);
    return 'delivered';
  }

  private async recordFailure(claimed: OutboxRow, error: unknown): Promise<void> {
    const message = scrubSecrets((error as Error)?.message ?? String(error)).slice(0, 1000);
    const dead = claimed.attempts >= (this.options.maxAttempts ?? 30);
    const delay = Math.min(this.options.maxDelayMs ?? 600_000, (this.options.baseDelayMs ?? 5_000) * 2 ** (claimed.attempts - 1));
    await this.write(claimed, { state: dead ? 'dead' : 'pending', next_attempt: chTime(this.now() + delay), last_error: message });
    const fields = { id: claimed.id, attempts: claimed.attempts, error: message };
    if (dead) this.logger.error(fields, 'giving up on a notification');
    else this.logger.warn({ ...fields, retryInMs: delay }, 'delivery failed; will retry');
  }

  /** The receipt of the thread's first delivered message, if any (cached: a root never changes). */
  private async threadRoot(thread: string): Promise<Receipt | undefined> {
    const cached = this.roots.get(thread);
    if (cached) return cached;
    const [root] = await this.store.select<{ receipt: string }>(
      `SELECT receipt FROM ${this.table} FINAL WHERE sink = {sink:String} AND thread = {thread:String} AND state = 'delivered' AND receipt NOT IN ('', '{}') ORDER BY at, created LIMIT 1`,
      { sink: this.receiver.name, thread },
      'outbox thread',
    );
    if (!root) return undefined;
    const receipt = JSON.parse(root.receipt) as Receipt;
    this.roots.set(thread, receipt);
    return receipt;
  }

  /** Compare-and-set: writes `row` + changes as the next version; undefined if another writer got that version first. */
  private async write(row: OutboxRow, changes: Partial<OutboxRow>): Promise<OutboxRow | undefined> {
    const next: OutboxRow = { ...row, ...changes, version: row.version + 1, write_id: randomUUID() };
    await this.insertOnce(next);
    const [winner] = await this.store.select<{ write_id: string }>(
      `SELECT write_id FROM ${this.table} WHERE id = {id:String} AND version = {version:UInt64} LIMIT 1`,
      { id: next.id, version: next.version },
      'outbox claim',
    );
    return winner?.write_id === next.write_id ? next : undefined;
  }

  private async insertOnce(row: OutboxRow): Promise<void> {
    try {
      await this.store.client.insert({
        table: this.table,
        values: [row],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: `${row.id}:${row.version}` },
      });
    } catch (error) {
      throw new StoreQueryError('outbox write', (error as Error)?.message ?? String(error), (error as { code?: string }).code, { cause: error });
    }
  }
}
