// The daemon's side of the weekly report: send it on sinks.email.schedule, retry kept ones after each cycle.
import type { Config } from '../config/index.js';
import type { CycleHook } from '../sinks/hook.js';
import type { Logger } from '../log.js';
import type { RollupState } from '../rollup/index.js';
import type { Store } from '../store/index.js';
import { buildReport } from './build.js';
import { retryDueReports, sendWeeklyReport } from './deliver.js';
import { smtpMailer, smtpUrlFrom, type Mailer } from './email.js';
import { ReportRecords, type Delivery, type RecordOptions } from './record.js';

/** What the hook needs of the daemon's session (the CLI's Session fits). */
export interface ReportSession {
  config: Config;
  store: Store;
  logger: Logger;
  /** The daemon's rollup state: the report's refresh then keeps the daemon's ledger snapshot current. */
  rollup?: RollupState;
}

export interface ReportHookOptions extends RecordOptions {
  env?: NodeJS.ProcessEnv;
  /** Instead of SMTP_URL's mailer (tests, other transports). */
  mailer?: Mailer;
  /** Fill a week without history by running daily cycles (default true): see backfill.ts. */
  backfill?: boolean;
}

/**
 * `schedule.run` builds and sends this week's report (once per week, ever: see ReportRecords); when SMTP
 * fails the report stays kept, and `afterCycle` retries it with backoff on the daemon's own cycles, so the
 * retry needs no schedule of its own. Without SMTP_URL the report's text goes to stdout (the demo's console).
 */
export function reportHook(session: ReportSession, options: ReportHookOptions = {}): CycleHook {
  // The session's config is read when used: the daemon may settle a learned maturity after the hook is built.
  const { store, rollup } = session;
  const logger = session.logger.child({ module: 'report' });
  const env = options.env ?? process.env;
  const mailer = options.mailer ?? (env.SMTP_URL ? smtpMailer(smtpUrlFrom(env)) : undefined);
  const now = options.now ?? Date.now;
  const backfill = options.backfill ?? true;
  let records: Promise<ReportRecords> | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const open = (): Promise<ReportRecords> => {
    records ??= ReportRecords.open(store, session.config, { ...options, logger }).catch((error: unknown) => {
      records = undefined;
      throw error;
    });
    return records;
  };
  // The schedule and the cycles may fire together; one at a time keeps a week from being claimed twice here.
  const serial = (run: () => Promise<void>): Promise<void> => {
    const next = chain.then(run);
    chain = next.catch(() => undefined);
    return next;
  };
  const report = (d: Delivery) => {
    const fields = { week: d.record.week, to: d.record.envelope.to, attempts: d.record.attempts };
    if (d.outcome === 'sent') logger.info({ ...fields, messageId: d.record.messageId }, 'weekly report sent');
    else if (d.outcome === 'already-sent') logger.info(fields, 'weekly report already sent for this week');
    else if (d.outcome === 'deferred') logger.info({ ...fields, reason: d.reason }, 'weekly report not sent now');
    // failures are logged by ReportRecords with the retry time
  };

  const weekly = async (): Promise<void> => {
    const at = new Date(now());
    if (!mailer) {
      const built = await buildReport(store, session.config, { at, backfill, logger, rollup });
      process.stdout.write(built.text);
      logger.warn('SMTP_URL is not set: the weekly report was printed, not emailed');
      return;
    }
    report(await sendWeeklyReport(store, session.config, { at, mailer, records: await open(), force: true, backfill, logger, rollup }));
  };
  const retry = async (): Promise<void> => {
    if (!mailer) return;
    for (const d of await retryDueReports(await open(), mailer)) report(d);
  };

  return {
    name: 'weekly-report',
    afterCycle: () => serial(retry),
    schedule: { cron: session.config.sinks.email.schedule, run: () => serial(weekly) },
    flush: async () => {
      await chain;
      mailer?.close();
    },
  };
}
