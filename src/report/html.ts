// The report as email HTML: one centred table, inline styles only, no CSS classes, scripts or external files.
import type { Chart } from './charts.js';
import { count, DASH, percent, points, probability, range, segmentText, type Tone } from './format.js';
import { experimentFigures, incidentLine, headlineCells, method, PERFORMANCE_HEADERS, performanceCells, rateMove, shadowFigures, subject } from './summary.js';
import type { Note, RateChange, ReportData } from './types.js';
import { cleanDocument, cleanValue } from '../text.js';

/** Where an image is fetched from: `cid:…` in an email, a data: URI in a stand-alone file. */
export type ImageSource = (chart: Chart) => { src: string; width: number; height: number } | undefined;

/** Every piece of data goes through here: issuer names are user data and may hold `<script>`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
const e = escapeHtml;

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;";
const TONE: Record<Tone, string> = { good: '#15803d', bad: '#b91c1c', neutral: '#6b7280' };
const LEVEL: Record<Note['level'] | 'ok' | 'warning' | 'critical', string> = { info: '#6b7280', ok: '#15803d', warning: '#b45309', critical: '#b91c1c' };
const VERDICT: Record<string, string> = { promote: '#15803d', hold: '#6b7280', reject: '#b91c1c', ship: '#15803d', continue: '#6b7280', rollback: '#b91c1c' };
const TH = `${FONT}font-size:12px;font-weight:600;color:#6b7280;text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;`;
const TD = `${FONT}font-size:13px;color:#111827;padding:6px 8px;border-bottom:1px solid #f3f4f6;vertical-align:top;`;
const NUM = 'text-align:right;white-space:nowrap;';

interface Columns {
  /** Right-aligned, never wrapped: numbers line up. */
  numeric?: number[];
  /** Never wrapped: names and times read badly broken over lines. */
  nowrap?: number[];
}

/** A data table; a row of one cell is a group heading spanning the table (e.g. the model of the rows below it). */
function table(headers: string[], rows: string[][], columns: Columns = {}): string {
  const style = (i: number) => (columns.numeric?.includes(i) ? NUM : columns.nowrap?.includes(i) ? 'white-space:nowrap;' : '');
  const cell = (tag: 'th' | 'td', text: string, i: number) => `<${tag} style="${tag === 'th' ? TH : TD}${style(i)}">${text}</${tag}>`;
  const row = (r: string[]) =>
    r.length === 1 ? `<tr><td colspan="${headers.length}" style="${TD}font-weight:600;padding-top:12px;">${r[0]}</td></tr>` : `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`;
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;margin:8px 0 4px;">
<tr>${headers.map((h, i) => cell('th', e(h), i)).join('')}</tr>
${rows.map(row).join('\n')}
</table>`;
}

const h2 = (text: string) => `<h2 style="${FONT}font-size:17px;color:#111827;margin:28px 0 6px;padding-top:12px;border-top:1px solid #e5e7eb;">${e(text)}</h2>`;
const p = (html: string, style = '') => `<p style="${FONT}font-size:13px;line-height:1.5;color:#374151;margin:4px 0 8px;${style}">${html}</p>`;
const small = (html: string) => p(html, 'font-size:12px;color:#6b7280;');
const colored = (text: string, color: string, bold = false) => `<span style="color:${color};${bold ? 'font-weight:600;' : ''}">${e(text)}</span>`;

/** The body's width inside the 680 px card's padding: images are sized to it in HTML attributes, which Outlook obeys. */
const CONTENT_WIDTH = 624;

function image(chart: Chart | undefined, source: ImageSource, maxWidth = CONTENT_WIDTH): string {
  const img = chart && source(chart);
  if (!chart || !img) return '';
  const width = Math.min(img.width, maxWidth);
  const height = Math.round((img.height * width) / img.width);
  return `<img src="${e(img.src)}" width="${width}" height="${height}" alt="${e(chart.alt)}" style="display:block;width:100%;max-width:${width}px;height:auto;border:0;margin:8px 0;">`;
}

function headline(data: ReportData): string {
  if (data.headline.length === 0) return p('No models had traffic in either week.');
  const rows = data.headline.map((h) => [
    `<strong>${e(h.model)}</strong>`,
    ...headlineCells(h).map((c) => {
      const change = c.trend.change ? `<br>${colored(`${c.trend.arrow} ${c.trend.change}`, TONE[c.trend.tone], true)}` : '';
      const detail = c.detail ? `<br><span style="font-size:11px;color:#6b7280;">${e(c.detail)}</span>` : '';
      return `<span style="font-size:18px;font-weight:600;white-space:nowrap;">${e(c.value)}</span>${change}<br><span style="font-size:11px;color:#6b7280;white-space:nowrap;">${e(c.before)}</span>${detail}`;
    }),
  ]);
  return table(['Model', 'Volume', 'Approval rate', 'ECE', 'Worst PSI'], rows, { nowrap: [0] });
}

function rateRow(c: RateChange, label: string): string[] {
  const delta = Number.isFinite(c.delta) ? `${c.delta > 0 ? '▲' : c.delta < 0 ? '▼' : '→'} ${points(c.delta, { sign: false })}` : DASH;
  const tone: Tone = !c.significant ? 'neutral' : c.delta < 0 ? 'bad' : 'good';
  return [label, count(c.current.events), e(rateMove(c)), colored(delta, TONE[tone], c.significant), significanceCell(c)];
}

/** "significant" (or not) on top, the q-value under it: the verdict is what a reader scans for. */
function significanceCell(c: RateChange): string {
  if (!Number.isFinite(c.pValue)) return colored('not tested (low volume)', LEVEL.info);
  const verdict = c.significant ? '<strong>significant</strong>' : colored('not significant', LEVEL.info);
  return `${verdict}<br><span style="font-size:11px;color:#6b7280;">q = ${e(probability(c.qValue))}</span>`;
}

/** Rows under a heading row per model, in the order given. */
function byModel(changes: readonly RateChange[], label: (c: RateChange) => string): string[][] {
  const rows: string[][] = [];
  let model: string | undefined;
  for (const c of changes) {
    if (c.model !== model) rows.push([e((model = c.model))]);
    rows.push(rateRow(c, label(c)));
  }
  return rows;
}

const RATE_COLUMNS: Columns = { numeric: [1, 3], nowrap: [2, 4] };

function approval(data: ReportData, charts: Chart[], source: ImageSource): string {
  const out = [h2('Approval rate'), image(charts.find((c) => c.id === 'approval'), source)];
  if (data.regions.length > 0) out.push(table(['Region', 'Volume', 'Week before → this week', 'Change', 'Significance'], byModel(data.regions, (c) => e(cleanValue(c.segment.region ?? ''))), RATE_COLUMNS));
  out.push(`<h3 style="${FONT}font-size:14px;color:#111827;margin:18px 0 4px;">Issuers that moved most</h3>`);
  if (data.issuers.length === 0) out.push(p('No issuer had enough labeled events in both weeks to compare.'));
  else {
    const significant = data.issuers.filter((c) => c.significant).length;
    if (significant === 0) out.push(p(`No issuer’s approval rate changed significantly; the largest changes, for scale:`));
    const rows = data.issuers.map((c) => rateRow(c, `${e(segmentText(c.segment))}<br><span style="font-size:11px;color:#6b7280;">${e(c.model)}</span>`));
    out.push(table(['Issuer · region', 'Volume', 'Week before → this week', 'Change', 'Significance'], rows, RATE_COLUMNS));
  }
  out.push(small(`${count(data.issuersTested)} issuers had at least ${data.settings.minVolume} labeled events in both weeks and were tested; “significant” holds the false-discovery rate at ${percent(data.settings.fdr, 0)} across them. Volume is this week’s live events.`));
  return out.join('\n');
}

function volume(charts: Chart[], source: ImageSource): string {
  const img = image(
    charts.find((c) => c.id === 'volume'),
    source,
  );
  return img ? `${h2('Volume')}${img}` : '';
}

function calibration(data: ReportData, charts: Chart[], source: ImageSource): string {
  const images = charts.filter((c) => c.id.startsWith('reliability-')).map((c) => image(c, source, CONTENT_WIDTH / 2 - 8));
  if (images.length === 0) return `${h2('Calibration')}${p('No matured outcomes this week: no reliability diagram.')}`;
  // Two diagrams per row, each at most half the body's width.
  const rows: string[] = [];
  for (let i = 0; i < images.length; i += 2) rows.push(`<tr>${[images[i], images[i + 1] ?? ''].map((img) => `<td width="50%" style="vertical-align:top;">${img}</td>`).join('')}</tr>`);
  return `${h2('Calibration')}${p('Observed approval rate against the mean score, per score bin: on the dashed diagonal the scores are calibrated.')}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">${rows.join('')}</table>`;
}

function performance(data: ReportData): string {
  if (data.performance.length === 0) return `${h2('Model performance')}${p('No matured outcomes this week.')}`;
  const rows = data.performance.map((c) => performanceCells(c).map(e));
  return `${h2('Model performance')}${p('AUC and mean log loss of the live score on matured outcomes over each whole week; DeLong = the unpaired test of the two AUCs.')}${table(PERFORMANCE_HEADERS, rows, { numeric: [2, 5], nowrap: [0, 1, 4] })}`;
}

function drift(data: ReportData, charts: Chart[], source: ImageSource): string {
  if (data.psi.length === 0) return `${h2('Drift (PSI)')}${p('No PSI values in the history this week.')}`;
  const rows = data.psi.map((s) => [e(s.model), e(segmentText(s.segment)), e(s.feature), colored(s.peak.toFixed(3), s.peak >= data.settings.psiCritical ? LEVEL.critical : s.peak >= data.settings.psiWarning ? LEVEL.warning : LEVEL.info, true)]);
  return `${h2('Drift (PSI)')}${image(
    charts.find((c) => c.id === 'psi'),
    source,
  )}${table(['Model', 'Segment', 'Feature', 'Peak PSI'], rows, { numeric: [3], nowrap: [0] })}`;
}

function alerts(data: ReportData): string {
  if (data.incidents.length === 0) return `${h2('Incidents')}${p('No alert fired this week.')}`;
  const small = (text: string) => `<br><span style="font-size:11px;color:#6b7280;">${text}</span>`;
  const rows = data.incidents
    .map(incidentLine)
    .map((i) => [
      colored(i.status, i.status === 'firing' ? LEVEL.critical : LEVEL.info, true),
      `<b>${e(i.title)}</b>${small(e(i.where))}${i.alerts.map((a) => small(`• ${e(a)}`)).join('')}`,
      e(i.fired), e(i.resolved), e(i.duration),
    ]);
  const title = `Incidents (${data.incidents.length}; ${data.alerts.length} alert${data.alerts.length === 1 ? '' : 's'})`;
  return `${h2(title)}${table(['Status', 'Incident', 'Fired (UTC)', 'Resolved', 'Duration'], rows, { numeric: [4], nowrap: [0, 2, 3] })}`;
}

function shadow(data: ReportData): string {
  if (data.shadow.length === 0) return '';
  const rows = data.shadow.map((s) => [
    e(s.model),
    e(s.shadowVersion),
    colored(s.verdict.toUpperCase(), VERDICT[s.verdict] ?? LEVEL.info, true),
    `${s.reasons.map((r) => `• ${e(r)}`).join('<br>') || DASH}<br><span style="font-size:11px;color:#6b7280;">${e(shadowFigures(s))}</span>`,
  ]);
  return `${h2('Shadow models')}${table(['Model', 'Shadow', 'Verdict', 'Reasons'], rows, { nowrap: [0, 1, 2] })}`;
}

function experiments(data: ReportData): string {
  if (data.experiments.length === 0) return '';
  const rows = data.experiments.map((x) => [
    e(x.model),
    `${e(x.treatment)} vs ${e(x.control)}`,
    colored(x.verdict.toUpperCase(), VERDICT[x.verdict] ?? LEVEL.info, true),
    `${x.reasons.map((r) => `• ${e(r)}`).join('<br>') || DASH}<br><span style="font-size:11px;color:#6b7280;">${e(experimentFigures(x))}</span>`,
  ]);
  return `${h2('Experiments')}${table(['Model', 'Treatment vs control', 'Verdict', 'Reasons'], rows, { nowrap: [0, 1, 2] })}`;
}

function notes(items: readonly Note[], empty: string): string {
  if (items.length === 0) return p(empty);
  return `<ul style="margin:4px 0 8px;padding-left:20px;">${items.map((n) => `<li style="${FONT}font-size:13px;line-height:1.5;color:#374151;margin-bottom:4px;">${n.level === 'info' ? '' : `${colored(n.level.toUpperCase(), LEVEL[n.level], true)} `}${e(n.text)}</li>`).join('')}</ul>`;
}

function missing(data: ReportData): string {
  if (data.missing.length === 0) return '';
  const items = data.missing.map((m) => `<li style="margin-bottom:4px;">${e(m)}</li>`).join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:12px 0;"><tr><td style="${FONT}font-size:13px;line-height:1.5;color:#78350f;background:#fffbeb;border:1px solid #fcd34d;padding:10px 14px;"><strong>What this report is missing</strong><ul style="margin:6px 0 0;padding-left:20px;">${items}</ul></td></tr></table>`;
}

/** The document, with control characters from user data (issuer names, reasons) replaced wherever they ended up. */
export function renderHtml(data: ReportData, charts: Chart[], source: ImageSource): string {
  return cleanDocument(composeRenderHtml(data, charts, source));
}

function composeRenderHtml(data: ReportData, charts: Chart[], source: ImageSource): string {
  const title = subject(data);
  const body = [
    `<h1 style="${FONT}font-size:22px;color:#111827;margin:0 0 4px;">driftwatch weekly report</h1>`,
    p(`${e(range(data.period.week.from, data.period.week.to))} (UTC), against the week before. Models: ${e(data.models.join(', ') || DASH)}.`, 'color:#6b7280;'),
    missing(data),
    headline(data),
    small('Arrows compare with the week before: green is better, red is worse, grey is neither (volume) or no real change.'),
    approval(data, charts, source),
    volume(charts, source),
    calibration(data, charts, source),
    performance(data),
    drift(data, charts, source),
    alerts(data),
    shadow(data),
    experiments(data),
    h2('Data quality'),
    notes(data.quality, 'No data-quality problems this week.'),
    `<p style="${FONT}font-size:11px;line-height:1.5;color:#9ca3af;margin:24px 0 0;border-top:1px solid #e5e7eb;padding-top:10px;">${e(method(data))}</p>`,
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(title)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;"><tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="680" cellpadding="0" cellspacing="0" style="width:100%;max-width:680px;background:#ffffff;border:1px solid #e5e7eb;">
<tr><td style="padding:24px 28px;">
${body.filter(Boolean).join('\n')}
</td></tr></table>
</td></tr></table>
</body></html>
`;
}
