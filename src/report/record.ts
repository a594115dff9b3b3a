// The durable record of weekly reports: kept in ClickHouse before any send, retried with backoff, sent once per week.
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import { DurableQueue, queueTableDdl, type QueueDefaults, type QueueOptions, type QueueRow, type QueueSpec, type QueueState } from '../sinks/queue.js';
import { chTime, type Store } from '../store/index.js';
import { decodeMessage, encodeMessage, type EmailMessage, type Envelope, type Mailer } from './email.js';
import { parseTime } from './history.js';
import type { ReportPeriod } from './period.js';

export const REPORTS_TABLE = 'driftwatch_reports';

export type ReportState = QueueState<'sent'>;

const REPORTS: QueueSpec<'sent'> = {
  table: REPORTS_TABLE,
  key: 'week',
  payload: [
    "period_from DateTime64(3, 'UTC')", "period_to DateTime64(3, 'UTC')", 'created', 'subject String', 'sender String', 'recipients Array(String)', 'message String',
  ],
  done: 'sent',
  doneAt: 'sent_at',
  receipt: 'message_id',
  // Kept 400 days, so a re-run for an old week still finds that it was sent.
  ttlDays: 400,
  dedupWindow: 1000,
  statements: { schema: 'reports schema', read: 'report record', due: 'reports due', claim: 'report claim', write: 'report record write' },
};

/** Failed attempts before a week's report is given up: 175 is about a week at the longest delay. */
const REPORT_DEFAULTS: QueueDefaults = { leaseMs: 300_000, baseDelayMs: 60_000, maxDelayMs: 3_600_000, maxAttempts: 175 };

/** A durable queue row (sinks/queue.ts) per week whose payload is the kept email: two daemons never both send a week. */
export function reportsTableDdl(config: Config): string {
  return queueTableDdl(config, REPORTS);
}

interface Row extends QueueRow<'sent'> {
  week: string;
  period_from: string;
  period_to: string;
  subject: string;
  sender: string;
  recipients: string[];
  message: string;
  sent_at: string | null;
  message_id: string;
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

export interface RecordOptions extends QueueOptions {
  logger?: Logger;
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

/** The weekly report's side of the durable queue (its guarantees: sinks/queue.ts): one item per week, sent once. */
export class ReportRecords {
  private readonly now: () => number;
  private readonly logger: Logger;

  private constructor(
    private readonly queue: DurableQueue<'sent', Row>,
    options: RecordOptions,
  ) {
    this.now = queue.now;
    this.logger = (options.logger ?? silentLogger).child({ module: 'report' });
  }

  static async open(store: Store, config: Config, options: RecordOptions = {}): Promise<ReportRecords> {
    const queue = new DurableQueue<'sent', Row>(store, config, REPORTS, REPORT_DEFAULTS, options);
    await queue.ensureTable();
    return new ReportRecords(queue, options);
  }

  async get(week: string): Promise<ReportRecord | undefined> {
    const row = await this.queue.get(week);
    return row && toRecord(row);
  }

  /** Keeps a week's report; the first one kept for a week wins, and is what every retry sends. */
  async keep(period: ReportPeriod, message: EmailMessage, envelope: Envelope): Promise<ReportRecord> {
    await this.queue.add({
      week: period.key, period_from: chTime(period.week.from), period_to: chTime(period.week.to),
      subject: message.subject, sender: envelope.from, recipients: envelope.to, message: encodeMessage(message),
    });
    return (await this.get(period.key)) as ReportRecord;
  }

  /** Weeks whose report waits for a retry that is due now (or whose sender's claim ran out). */
  async due(): Promise<string[]> {
    return this.queue.due(this.now());
  }

  /** One attempt at a week's report. `force` skips the backoff wait and revives a given-up report (a person asked). */
  async deliver(week: string, mailer: Mailer, force = false): Promise<Delivery> {
    const row = await this.queue.get(week);
    if (!row) throw new Error(`no report kept for week ${week}`);
    const record = toRecord(row);
    if (row.state === 'sent') return { outcome: 'already-sent', record };
    const now = this.now();
    if (row.state === 'sending' && parseTime(row.lease_until).getTime() > now) return { outcome: 'deferred', record, reason: 'another process is sending it' };
    if (!force && row.state === 'dead') return { outcome: 'deferred', record, reason: `given up after ${row.attempts} attempts` };
    if (!force && row.state === 'pending' && parseTime(row.next_attempt).getTime() > now) return { outcome: 'deferred', record, reason: 'not due yet' };
    const claimed = await this.queue.claim(row, now);
    if (!claimed) return { outcome: 'deferred', record, reason: 'another process claimed it first' };
    let messageId: string;
    try {
      ({ messageId } = await mailer.send(record.message(), record.envelope));
    } catch (error) {
      return { outcome: 'failed', record: await this.recordFailure(claimed, error as Error), error: error as Error };
    }
    // Marked right after the server accepted it: a crash before this line is the one window in which a
    // report could go out twice (after the lease ends).
    const sent = await this.queue.complete(claimed, messageId);
    if (!sent) this.logger.error({ week }, 'report sent after its claim ran out and another process took it over: it may arrive twice; raise leaseMs');
    return { outcome: 'sent', record: toRecord(sent ?? claimed) };
  }

  private async recordFailure(claimed: Row, error: Error): Promise<ReportRecord> {
    const { row: next, dead, retryInMs } = await this.queue.fail(claimed, error.message);
    if (dead) this.logger.error({ week: claimed.week, attempts: claimed.attempts, err: error.message }, 'giving up on the weekly report');
    else this.logger.warn({ week: claimed.week, attempts: claimed.attempts, retryInMs, err: error.message }, 'weekly report not sent; kept for a retry');
    return toRecord(next ?? claimed);
  }
}
