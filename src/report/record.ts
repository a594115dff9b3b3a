// The durable record of weekly reports: kept in ClickHouse before any send, retried with backoff, sent once per week.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { StoreQueryError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import { decodeMessage, encodeMessage, type EmailMessage, type Envelope, type Mailer } from './email.js';
import { parseTime } from './history.js';
import type { ReportPeriod } from './period.js';

export const REPORTS_TABLE = 'driftwatch_reports';

export type ReportState = 'pending' | 'sending' | 'sent' | 'dead';

/**
 * One row per change of a week's report, version + 1 each time, inserted with the deduplication token
 * `week:version`: of two writers of the same version ClickHouse keeps the first, so every write is a
 * compare-and-set (the winner is told by `write_id`) and two daemons never both send a week. FINAL reads
 * the latest version. Kept 400 days, so a re-run for an old week still finds that it was sent.
 */
export function reportsTableDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, REPORTS_TABLE)} (
  week          String,
  version       UInt64,
  write_id      String,
  period_from   DateTime64(3, 'UTC'),
  period_to     DateTime64(3, 'UTC'),
  created       DateTime64(3, 'UTC'),
  subject       String,
  sender        String,
  recipients    Array(String),
  message       String,
  state         Enum8('pending' = 1, 'sending' = 2, 'sent' = 3, 'dead' = 4),
  attempts      UInt32,
  next_attempt  DateTime64(3, 'UTC'),
  owner         String,
  lease_until   DateTime64(3, 'UTC'),
  sent_at       Nullable(DateTime64(3, 'UTC')),
  message_id    String,
  last_error    String
) ENGINE = ReplacingMergeTree(version)
ORDER BY week
TTL toDateTime(created) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000`;
}

interface Row {
  week: string;
  version: number;
  write_id: string;
  period_from: string;
  period_to: string;
  created: string;
  subject: string;
  sender: string;
  recipients: string[];
  message: string;
  state: ReportState;
  attempts: number;
  next_attempt: string;
  owner: string;
  lease_until: string;
  sent_at: string | null;
  message_id: string;
  last_error: string;
}

export interface ReportRecord {
  week: string;
  state: ReportState;
  subject: string;
  envelope: Envelope;
  attempts: number;
  nextAttempt: Date;
  sentAt?: Date;
  messageId: string;
  lastError: string;
  message(): EmailMessage;
}

export type Delivery =
  | { outcome: 'sent' | 'already-sent'; record: ReportRecord }
  | { outcome: 'failed'; record: ReportRecord; error: Error }
  /** Not due yet, being sent by another process, or given up (dead). */
  | { outcome: 'deferred'; record: ReportRecord; reason: string };

export interface RecordOptions {
  logger?: Logger;
  owner?: string;
  /** How long a claim lasts; after it, a crashed sender's report is retried. */
  leaseMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Failed attempts before the week's report is given up (state `dead`); the default, 175, is about a week at the longest delay. */
  maxAttempts?: number;
  now?: () => number;
}

function toRecord(row: Row): ReportRecord {
  return {
    week: row.week,
    state: row.state,
    subject: row.subject,
    envelope: { from: row.sender, to: row.recipients },
    attempts: row.attempts,
    nextAttempt: parseTime(row.next_attempt),
    ...(row.sent_at ? { sentAt: parseTime(row.sent_at) } : {}),
    messageId: row.message_id,
    lastError: row.last_error,
    message: () => decodeMessage(row.message),
  };
}

export class ReportRecords {
  private readonly now: () => number;
  private readonly owner: string;
  private readonly logger: Logger;

  private constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly options: RecordOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? randomUUID();
    this.logger = (options.logger ?? silentLogger).child({ module: 'report' });
  }

  static async open(store: Store, config: Config, options: RecordOptions = {}): Promise<ReportRecords> {
    await store.command(reportsTableDdl(config), {}, 'reports schema');
    return new ReportRecords(store, config, options);
  }

  private get table(): string {
    return tableRef(this.config, REPORTS_TABLE);
  }

  async get(week: string): Promise<ReportRecord | undefined> {
    const row = await this.row(week);
    return row && toRecord(row);
  }

  /** Keeps a week's report; the first one kept for a week wins, and is what every retry sends. */
  async keep(period: ReportPeriod, message: EmailMessage, envelope: Envelope): Promise<ReportRecord> {
    const now = chTime(this.now());
    await this.insert({
      week: period.key, version: 0, write_id: randomUUID(), period_from: chTime(period.week.from), period_to: chTime(period.week.to), created: now,
      subject: message.subject, sender: envelope.from, recipients: envelope.to, message: encodeMessage(message), state: 'pending', attempts: 0,
      next_attempt: now, owner: '', lease_until: now, sent_at: null, message_id: '', last_error: '',
    });
    return (await this.get(period.key)) as ReportRecord;
  }

  /** Weeks whose report waits for a retry that is due now (or whose sender's claim ran out). */
  async due(): Promise<string[]> {
    const rows = await this.store.select<{ week: string }>(
      `SELECT week FROM ${this.table} FINAL
       WHERE (state = 'pending' AND next_attempt <= {now:DateTime64(3, 'UTC')}) OR (state = 'sending' AND lease_until <= {now:DateTime64(3, 'UTC')})
       ORDER BY week`,
      { now: chTime(this.now()) },
      'reports due',
    );
    return rows.map((r) => r.week);
  }

  /** One attempt at a week's report. `force` skips the backoff wait and revives a given-up report (a person asked). */
  async deliver(week: string, mailer: Mailer, force = false): Promise<Delivery> {
    const row = await this.row(week);
    if (!row) throw new Error(`no report kept for week ${week}`);
    const record = toRecord(row);
    if (row.state === 'sent') return { outcome: 'already-sent', record };
    const now = this.now();
    if (row.state === 'sending' && parseTime(row.lease_until).getTime() > now) return { outcome: 'deferred', record, reason: 'another process is sending it' };
    if (!force && row.state === 'dead') return { outcome: 'deferred', record, reason: `given up after ${row.attempts} attempts` };
    if (!force && row.state === 'pending' && parseTime(row.next_attempt).getTime() > now) return { outcome: 'deferred', record, reason: 'not due yet' };
    const leaseMs = this.options.leaseMs ?? 300_000;
    const claimed = await this.write(row, { state: 'sending', owner: this.owner, lease_until: chTime(now + leaseMs), attempts: row.attempts + 1 });
    if (!claimed) return { outcome: 'deferred', record, reason: 'another process claimed it first' };
    let messageId: string;
    try {
      ({ messageId } = await mailer.send(record.message(), record.envelope));
    } catch (error) {
      return { outcome: 'failed', record: await this.recordFailure(claimed, error as Error), error: error as Error };
    }
    // Marked right after the server accepted it: a crash before this line is the one window in which a
    // report could go out twice (after the lease ends).
    const sent = await this.write(claimed, { state: 'sent', sent_at: chTime(this.now()), message_id: messageId, last_error: '' });
    if (!sent) this.logger.error({ week }, 'report sent after its claim ran out and another process took it over: it may arrive twice; raise leaseMs');
    return { outcome: 'sent', record: toRecord(sent ?? claimed) };
  }

  private async recordFailure(claimed: Row, error: Error): Promise<ReportRecord> {
    const dead = claimed.attempts >= (this.options.maxAttempts ?? 175);
    const delay = Math.min(this.options.maxDelayMs ?? 3_600_000, (this.options.baseDelayMs ?? 60_000) * 2 ** (claimed.attempts - 1));
    const next = await this.write(claimed, { state: dead ? 'dead' : 'pending', next_attempt: chTime(this.now() + delay), last_error: error.message.slice(0, 1000) });
    if (dead) this.logger.error({ week: claimed.week, attempts: claimed.attempts, err: error.message }, 'giving up on the weekly report');
    else this.logger.warn({ week: claimed.week, attempts: claimed.attempts, retryInMs: delay, err: error.message }, 'weekly report not sent; kept for a retry');
    return toRecord(next ?? claimed);
  }

  private async row(week: string): Promise<Row | undefined> {
    const [row] = await this.store.select<Row>(`SELECT * FROM ${this.table} FINAL WHERE week = {week:String} LIMIT 1`, { week }, 'report record');
    return row;
  }

  /** Compare-and-set: `row` + changes as the next version; undefined when another writer got that version first. */
  private async write(row: Row, changes: Partial<Row>): Promise<Row | undefined> {
    const next: Row = { ...row, ...changes, version: Number(row.version) + 1, write_id: randomUUID() };
    await this.insert(next);
    const [winner] = await this.store.select<{ write_id: string }>(
      `SELECT write_id FROM ${this.table} WHERE week = {week:String} AND version = {version:UInt64} LIMIT 1`,
      { week: next.week, version: next.version },
      'report claim',
    );
    return winner?.write_id === next.write_id ? next : undefined;
  }

  private async insert(row: Row): Promise<void> {
    try {
      await this.store.client.insert({ table: this.table, values: [row], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `${row.week}:${row.version}` } });
    } catch (error) {
      throw new StoreQueryError('report record write', (error as Error)?.message ?? String(error), (error as { code?: string }).code, { cause: error });
    }
  }
}
