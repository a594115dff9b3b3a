// The weekly report: gather (history + aggregate queries), chart, render (HTML + text), email once per week.
export { buildReport, emailMessage, renderReport, standaloneHtml, type BuiltReport, type RenderedChart } from './build.js';
export { reportCharts, type Chart } from './charts.js';
export { envelope, retryDueReports, sendWeeklyReport, type SendOptions } from './deliver.js';
export { SINK_UNREACHABLE_EXIT, SinkUnreachableError, smtpMailer, smtpTarget, smtpUrlFrom, type EmailMessage, type Envelope, type Mailer } from './email.js';
export { gatherReport, type GatherOptions } from './gather.js';
export { reportHook, type ReportHookOptions, type ReportSession } from './hook.js';
export { escapeHtml, renderHtml } from './html.js';
export { isoWeek, reportPeriod, type ReportPeriod } from './period.js';
export { REPORTS_TABLE, ReportRecords, reportsTableDdl, type Delivery, type ReportRecord, type ReportState } from './record.js';
export { renderText } from './text.js';
export type * from './types.js';
