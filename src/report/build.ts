// Builds the weekly report: data, charts rendered to PNG, and the email or stand-alone HTML made from them.
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { reportCharts, type Chart } from './charts.js';
import type { EmailMessage } from './email.js';
import { gatherReport, type GatherOptions } from './gather.js';
import { renderHtml } from './html.js';
import { renderPng, type Png } from './png.js';
import { subject } from './summary.js';
import { renderText } from './text.js';
import type { ReportData } from './types.js';

export type RenderedChart = Chart & Png;

export interface BuiltReport {
  data: ReportData;
  charts: RenderedChart[];
  subject: string;
  text: string;
}

/** Everything but the HTML, whose image links depend on where it goes (email or file). */
export async function renderReport(data: ReportData): Promise<BuiltReport> {
  const charts: RenderedChart[] = [];
  // One at a time: each render is CPU-bound, and a report has a handful.
  for (const chart of reportCharts(data)) charts.push({ ...chart, ...(await renderPng(chart.spec)) });
  return { data, charts, subject: subject(data), text: renderText(data) };
}

export async function buildReport(store: Store, config: Config, options: GatherOptions = {}): Promise<BuiltReport> {
  return renderReport(await gatherReport(store, config, options));
}

const cidOf = (chart: Chart) => `${chart.id}@driftwatch`;
const lookup = (report: BuiltReport) => (chart: Chart) => report.charts.find((c) => c.id === chart.id);

/** The email: HTML linking each chart as `cid:`, the PNGs as inline attachments, and the text part. */
export function emailMessage(report: BuiltReport): EmailMessage {
  const find = lookup(report);
  const html = renderHtml(report.data, report.charts, (chart) => {
    const png = find(chart);
    return png && { src: `cid:${cidOf(chart)}`, width: png.width, height: png.height };
  });
  return {
    subject: report.subject,
    html,
    text: report.text,
    attachments: report.charts.map((c) => ({ filename: `${c.id}.png`, cid: cidOf(c), contentType: 'image/png', content: c.png })),
  };
}

/** One self-contained file (`--out`): the charts as data: URIs, so it can be mailed or archived as is. */
export function standaloneHtml(report: BuiltReport): string {
  const find = lookup(report);
  return renderHtml(report.data, report.charts, (chart) => {
    const png = find(chart);
    return png && { src: `data:image/png;base64,${png.png.toString('base64')}`, width: png.width, height: png.height };
  });
}
