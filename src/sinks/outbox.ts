// The durable outbox: a notification is stored before any receiver sees it and marked delivered the moment it is.
import { createHash } from 'node:crypto';
import { isDecision, type AnyNotification, type NotificationQueue } from '../alerts/types.js';
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import { chTime, type Store } from '../store/index.js';
import { DurableQueue, queueTableDdl, timeMs, type QueueDefaults, type QueueOptions, type QueueRow, type QueueState, type QueueSpec } from './queue.js';

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

export interface OutboxOptions extends QueueOptions {
  logger?: Logger;
}

export type OutboxState = QueueState<'delivered'>;

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

const OUTBOX: QueueSpec<'delivered'> = {
  table: OUTBOX_TABLE,
  key: 'id',
  payload: ['sink LowCardinality(String)', 'thread String', "at DateTime64(3, 'UTC')", 'kind LowCardinality(String)', 'payload String'],
  done: 'delivered',
  doneAt: 'delivered_at',
  receipt: 'receipt',
  ttlDays: 90,
  dedupWindow: 10000,
  statements: { schema: 'outbox schema', read: 'outbox item', due: 'outbox due', claim: 'outbox claim', write: 'outbox write' },
};

/** Defaults: quick retries (an alert is only useful while fresh), given up after 30 attempts, about four hours. */
const OUTBOX_DEFAULTS: QueueDefaults = { leaseMs: 120_000, baseDelayMs: 5_000, maxDelayMs: 600_000, maxAttempts: 30 };

/** A durable queue row (sinks/queue.ts) whose payload is a notification; `write_id` tells the winner of a version. */
export function outboxTableDdl(config: Config): string {
  return queueTableDdl(config, OUTBOX);
}

export async function ensureOutboxTable(store: Store, config: Config): Promise<void> {
  await new DurableQueue(store, config, OUTBOX, OUTBOX_DEFAULTS).ensureTable();
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
  return isDecision(n) ? n.groupKey : `${n.groupKey}#${n.episode.toISOString()}`;
}

interface OutboxRow extends QueueRow<'delivered'> {
  id: string;
  sink: string;
  thread: string;
  at: string;
  kind: string;
  payload: string;
  delivered_at: string | null;
  receipt: string;
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
 * The Slack side of the durable queue (its guarantees: sinks/queue.ts). A notification may appear twice only in the
 * queue's one window (accepted by Slack, not yet recorded); a dead item is logged as an error. Items of one thread
 * go out in order, each reply under the thread's first delivered message.
 */
export class Outbox implements AlertDelivery {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly roots = new Map<string, Receipt>();
  private readonly now: () => number;
  private readonly logger: Logger;

  private constructor(
    private readonly store: Store,
    private readonly queue: DurableQueue<'delivered', OutboxRow>,
    private readonly receiver: Receiver,
    options: OutboxOptions,
  ) {
    this.now = queue.now;
    this.logger = (options.logger ?? silentLogger).child({ module: 'outbox', sink: receiver.name });
  }

  static async open(store: Store, config: Config, receiver: Receiver, options: OutboxOptions = {}): Promise<Outbox> {
    const queue = new DurableQueue<'delivered', OutboxRow>(store, config, OUTBOX, OUTBOX_DEFAULTS, options);
    await queue.ensureTable();
    return new Outbox(store, queue, receiver, options);
  }

  get sink(): string {
    return this.receiver.name;
  }

  private get table(): string {
    return this.queue.table;
  }

  /**
   * Stores notifications for delivery, in order (items of one cycle go out as enqueued: `created` orders them, so an
   * incident's evidence follows its headline); returns their ids. Enqueuing one twice stores it once.
   */
  async enqueue(notifications: readonly AnyNotification[]): Promise<string[]> {
    const ids: string[] = [];
    for (const n of notifications) {
      const id = outboxId(this.receiver.name, n);
      await this.queue.add({ id, sink: this.receiver.name, thread: threadKey(n), at: chTime(n.at), kind: n.kind, payload: JSON.stringify(n) });
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
      id: r.id, sink: r.sink, thread: r.thread, kind: r.kind, state: r.state, attempts: r.attempts, nextAttempt: new Date(timeMs(r.next_attempt)),
      ...(r.delivered_at ? { deliveredAt: new Date(timeMs(r.delivered_at)) } : {}),
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
      const due = row.state === 'pending' ? timeMs(row.next_attempt) <= this.now() : timeMs(row.lease_until) <= this.now();
      const outcome = blocked.has(row.thread) || !due ? 'deferred' : await this.deliverOne(row);
      if (outcome !== 'delivered') blocked.add(row.thread);
      report[outcome]++;
    }
    return report;
  }

  private async deliverOne(row: OutboxRow): Promise<keyof FlushReport> {
    const leaseMs = this.queue.leaseMs;
    const thread = await this.threadRoot(row.thread);
    const claimedAt = this.now();
    const claimed = await this.queue.claim(row, claimedAt);
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
    const done = await this.queue.complete(claimed, JSON.stringify(receipt ?? {}));
    if (!done) this.logger.error({ id: row.id }, 'delivered after the claim expired and another deliverer took it over: it may be sent twice; raise leaseMs');
    if (receipt && !this.roots.has(row.thread)) this.roots.set(row.thread, receipt);
    return 'delivered';
  }

  private async recordFailure(claimed: OutboxRow, error: unknown): Promise<void> {
    const message = scrubSecrets((error as Error)?.message ?? String(error)).slice(0, 1000);
    const { dead, retryInMs } = await this.queue.fail(claimed, message);
    const fields = { id: claimed.id, attempts: claimed.attempts, error: message };
    if (dead) this.logger.error(fields, 'giving up on a notification');
    else this.logger.warn({ ...fields, retryInMs }, 'delivery failed; will retry');
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
}
