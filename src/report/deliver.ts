// Sending a week's report through its durable record: build once, keep, send; the CLI and the daemon share this.
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { buildReport, emailMessage, type BuiltReport } from './build.js';
import type { Envelope, Mailer } from './email.js';
import type { GatherOptions } from './gather.js';
import { reportPeriod } from './period.js';
import type { Delivery, ReportRecords } from './record.js';

export interface SendOptions extends GatherOptions {
  mailer: Mailer;
  records: ReportRecords;
  /** Try now even if the backoff says later (a person or the weekly schedule asked). */
  force?: boolean;
  /** Already built (the CLI also wrote it to a file): used only if the week has no record yet. */
  report?: BuiltReport;
}

export function envelope(config: Config): Envelope {
  return { from: config.sinks.email.from, to: config.sinks.email.to };
}

/**
 * The week's report is built only when no record of it exists: a retry sends exactly what was kept,
 * and a week already sent is never built or sent again.
 */
export async function sendWeeklyReport(store: Store, config: Config, options: SendOptions): Promise<Delivery> {
  const period = reportPeriod(options.at ?? new Date(), config.sinks.email.period);
  const existing = await options.records.get(period.key);
  if (existing?.state === 'sent') return { outcome: 'already-sent', record: existing };
  if (!existing) {
    const report = options.report ?? (await buildReport(store, config, options));
    await options.records.keep(period, emailMessage(report), envelope(config));
  }
  return options.records.deliver(period.key, options.mailer, options.force ?? false);
}

/** Every kept report whose retry is due (the daemon calls this after each cycle). */
export async function retryDueReports(records: ReportRecords, mailer: Mailer): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (const week of await records.due()) out.push(await records.deliver(week, mailer));
  return out;
}
