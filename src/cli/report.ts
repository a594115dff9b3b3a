// `driftwatch report`: the weekly report as text on stdout, as an HTML file (--out), or emailed once per week (--send).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { buildReport, ReportRecords, sendWeeklyReport, smtpMailer, smtpUrlFrom, SinkUnreachableError, standaloneHtml, type BuiltReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';
import { settleSession, withSession, type Session } from './common.js';

export interface ReportOptions {
  config?: string;
  /** The report covers the 7 days before this time, floored to UTC midnight (default: now). */
  at?: Date;
  out?: string;
  send?: boolean;
  /** Run daily cycles to fill a week without history (default true; `--no-backfill` when the CLI offers it). */
  backfill?: boolean;
}

export async function reportCommand(options: ReportOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Checked before any work: a missing SMTP_URL is a usage error, not a reason to build and throw away a report.
  const smtpUrl = options.send ? smtpUrlFrom(env) : undefined;
  return withSession(options.config, async (unsettled) => {
    const session = await settleSession(unsettled, options.at ?? new Date());
    const gather = { at: options.at ?? new Date(), backfill: options.backfill ?? true, logger: session.logger, rollup: session.rollup };
    let built: BuiltReport | undefined;
    const build = async () => (built ??= await buildReport(session.store, session.config, gather));
    if (options.out) {
      const path = resolve(options.out);
      writeFileSync(path, standaloneHtml(await build()));
      process.stderr.write(`driftwatch: wrote the report to ${path}\n`);
    }
    if (!options.send) {
      if (!options.out) process.stdout.write((await build()).text);
      return ExitCode.ok;
    }
    return send(session, smtpUrl as string, gather, built);
  });
}

async function send(session: Session, smtpUrl: string, gather: { at: Date; backfill: boolean }, built: BuiltReport | undefined): Promise<number> {
  const { store, config, logger } = session;
  const week = reportPeriod(gather.at, config.sinks.email.period).key;
  const records = await ReportRecords.open(store, config, { logger });
  const mailer = smtpMailer(smtpUrl);
  try {
    const delivery = await sendWeeklyReport(store, config, { ...gather, logger, records, mailer, force: true, ...(built ? { report: built } : {}) });
    const to = delivery.record.envelope.to.join(', ');
    switch (delivery.outcome) {
      case 'sent':
        process.stderr.write(`driftwatch: sent the report for ${week} to ${to} via ${mailer.target}\n`);
        return ExitCode.ok;
      case 'already-sent':
        process.stderr.write(`driftwatch: the report for ${week} was already sent${delivery.record.sentAt ? ` at ${delivery.record.sentAt.toISOString()}` : ''}; not sending it again\n`);
        return ExitCode.ok;
      case 'deferred':
        process.stderr.write(`driftwatch: the report for ${week} was not sent now: ${delivery.reason}\n`);
        return ExitCode.ok;
      case 'failed':
        throw new SinkUnreachableError(
          `${delivery.error.message}. The report for ${week} is kept in ClickHouse and a running daemon retries it; or run "driftwatch report --send" again once SMTP is back`,
          { cause: delivery.error },
        );
    }
  } finally {
    mailer.close();
  }
}
