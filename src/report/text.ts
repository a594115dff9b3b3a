// The report as plain text: the email's text part and what `driftwatch report` prints; same content as the HTML.
import { count, decimal, percent, points, range, segmentText } from './format.js';
import { experimentFigures, incidentLine, headlineCells, method, PERFORMANCE_HEADERS, performanceCells, rateMove, shadowFigures, significance, subject } from './summary.js';
import type { RateChange, ReportData } from './types.js';
import { cleanDocument, cleanValue } from '../text.js';

const WIDTH = 78;

function heading(text: string): string {
  return `\n${text}\n${'-'.repeat(text.length)}`;
}

/** Left-aligned columns padded to the widest cell; numeric columns right-aligned. */
function columns(headers: string[], rows: string[][], numeric: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** Wraps prose at WIDTH, indenting continuation lines. */
function wrap(text: string, indent = '  ', first = indent): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/)) {
    if (line.trim() && line.length + word.length + 1 > WIDTH) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

function rates(changes: readonly RateChange[], label: string, labelOf: (c: RateChange) => string): string {
  const rows = changes.map((c) => [c.model, labelOf(c), count(c.current.events), rateMove(c), points(c.delta), significance(c)]);
  return columns(['model', label, 'volume', 'week before → this week', 'change', 'significance'], rows, [2, 4]);
}

/** The document, with control characters from user data (issuer names, reasons) replaced wherever they ended up. */
export function renderText(data: ReportData): string {
  return cleanDocument(composeRenderText(data));
}

function composeRenderText(data: ReportData): string {
  const out: string[] = [subject(data), `${range(data.period.week.from, data.period.week.to)} (UTC), against the week before.`];
  if (data.missing.length > 0) {
    out.push(heading('What this report is missing'));
    for (const m of data.missing) out.push(wrap(m, '    ', '  - '));
  }

  out.push(heading('Headline'));
  for (const h of data.headline) {
    out.push(`  ${h.model}`);
    for (const c of headlineCells(h)) {
      const change = c.trend.change ? `  ${c.trend.arrow} ${c.trend.change}` : '';
      out.push(`    ${c.label.padEnd(14)}${c.value.padStart(12)}${change}  (${c.before}${c.detail ? `; ${c.detail}` : ''})`);
    }
  }

  out.push(heading('Approval rate by region'));
  out.push(data.regions.length > 0 ? rates(data.regions, 'region', (c) => cleanValue(c.segment.region ?? '')) : '  No traffic.');
  out.push(heading('Issuers that moved most'));
  if (data.issuers.length === 0) out.push('  No issuer had enough labeled events in both weeks to compare.');
  else {
    if (!data.issuers.some((c) => c.significant)) out.push('  No issuer changed significantly; the largest changes, for scale:');
    out.push(rates(data.issuers, 'issuer · region', (c) => segmentText(c.segment)));
  }
  out.push(wrap(`${count(data.issuersTested)} issuers tested (at least ${data.settings.minVolume} labeled events in both weeks); significant = within a false-discovery rate of ${percent(data.settings.fdr, 0)}.`));

  out.push(heading('Calibration'));
  const live = data.reliability.filter((r) => r.week === 'current');
  if (live.length === 0) out.push('  No matured outcomes this week.');
  for (const r of live) {
    const before = data.reliability.find((x) => x.model === r.model && x.week === 'previous');
    out.push(`  ${r.model}: ECE ${decimal(r.ece)} over ${count(r.n)} labeled events (week before ${decimal(before?.ece ?? NaN)})`);
    const bins = r.bins.filter((b) => b.count > 0).map((b) => [`${b.lo.toFixed(1)}–${b.hi.toFixed(1)}`, count(b.count), decimal(b.meanScore), decimal(b.meanLabel)]);
    out.push(columns(['score bin', 'events', 'mean score', 'observed'], bins, [1, 2, 3]).replace(/^/gm, '  '));
  }

  out.push(heading('Model performance'));
  if (data.performance.length === 0) out.push('  No matured outcomes this week.');
  else {
    out.push(columns(PERFORMANCE_HEADERS, data.performance.map(performanceCells), [2, 5]));
    out.push(wrap('AUC and mean log loss of the live score on matured outcomes over each whole week; DeLong = the unpaired test of the two AUCs.'));
  }

  out.push(heading('Drift (PSI), worst segments'));
  if (data.psi.length === 0) out.push('  No PSI values in the history this week.');
  else out.push(columns(['model', 'segment', 'feature', 'peak PSI'], data.psi.map((s) => [s.model, segmentText(s.segment), s.feature, s.peak.toFixed(3)]), [3]));

  out.push(heading(`Incidents (${data.incidents.length}; ${data.alerts.length} alert${data.alerts.length === 1 ? '' : 's'})`));
  if (data.incidents.length === 0) out.push('  No alert fired this week.');
  for (const i of data.incidents.map(incidentLine)) {
    out.push(`  ${i.status.toUpperCase().padEnd(10)}${i.title}`, `            ${i.where}`);
    for (const a of i.alerts) out.push(`            • ${a}`);
    out.push(`            fired ${i.fired} UTC, ${i.status === 'firing' ? 'still firing' : `resolved ${i.resolved}`}, ${i.duration}`);
  }

  if (data.shadow.length > 0) {
    out.push(heading('Shadow models'));
    for (const s of data.shadow) {
      out.push(`  ${s.model} ${s.shadowVersion}: ${s.verdict.toUpperCase()}`);
      for (const reason of s.reasons) out.push(wrap(reason, '      ', '    - '));
      out.push(wrap(shadowFigures(s), '      ', '    '));
    }
  }

  if (data.experiments.length > 0) {
    out.push(heading('Experiments'));
    for (const x of data.experiments) {
      out.push(`  ${x.model} ${x.treatment} vs ${x.control}: ${x.verdict.toUpperCase()}`);
      for (const reason of x.reasons) out.push(wrap(reason, '      ', '    - '));
      out.push(wrap(experimentFigures(x), '      ', '    '));
    }
  }

  out.push(heading('Data quality'));
  if (data.quality.length === 0) out.push('  No data-quality problems this week.');
  for (const n of data.quality) out.push(wrap(`${n.level === 'info' ? '' : `${n.level.toUpperCase()}: `}${n.text}`, '    ', '  - '));

  out.push('', wrap(method(data), '', ''));
  return `${out.join('\n')}\n`;
}
