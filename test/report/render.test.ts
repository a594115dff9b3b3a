// The report's pure parts: periods and ISO weeks, week-over-week tests under BH, escaping, charts to PNG, wording.
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, twoProportionZTest } from '../../src/stats/index.js';
import { reportCharts } from '../../src/report/charts.js';
import { trend, TRENDS } from '../../src/report/format.js';
import { splitReasons } from '../../src/report/history.js';
import { compareWeeks, topMovers } from '../../src/report/movers.js';
import { renderPng } from '../../src/report/png.js';
import { escapeHtml, isoWeek, renderHtml, renderText, reportPeriod, type ReportData } from '../../src/report/index.js';
import type { SegmentCounts } from '../../src/report/traffic.js';
import { pngSize } from './helpers.js';

const HOSTILE = '<script>alert("x")</script>';

describe('report period', () => {
  it('is the seven days ending at --at (to its hour) by default, keyed by the ISO week it starts in', () => {
    const p = reportPeriod(new Date('2026-11-23T08:20:00Z'));
    expect(p.week).toEqual({ from: new Date('2026-11-16T08:00:00Z'), to: new Date('2026-11-23T08:00:00Z') });
    expect(p.previous).toEqual({ from: new Date('2026-11-09T08:00:00Z'), to: new Date('2026-11-16T08:00:00Z') });
    expect(p.key).toBe('2026-W47');
    // Alerts up to the report's own time: one of the last, partial hour is in it.
    expect(p.alertsUntil).toEqual(new Date('2026-11-23T08:20:00Z'));
    // A retry later that week is the same key (the kept report is what it sends); the next Monday's is the next.
    expect(reportPeriod(new Date('2026-11-23T23:59:59Z')).key).toBe('2026-W47');
    expect(reportPeriod(new Date('2026-11-30T08:00:00Z')).key).toBe('2026-W48');
  });

  it('is the last complete ISO week with sinks.email.period: iso-week', () => {
    for (const at of ['2026-11-23T00:00:00Z', '2026-11-25T13:00:00Z', '2026-11-29T23:59:59Z']) {
      const p = reportPeriod(new Date(at), 'iso-week');
      expect(p.week).toEqual({ from: new Date('2026-11-16T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z') });
      expect(p.key).toBe('2026-W47');
      // A report made mid-week does not pull in this week's alerts.
      expect(p.alertsUntil).toEqual(new Date('2026-11-23T00:00:00Z'));
    }
  });

  it('numbers ISO weeks across year ends', () => {
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toBe('2020-W53');
    expect(isoWeek(new Date('2021-01-04T00:00:00Z'))).toBe('2021-W01');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
  });
});

describe('week-over-week approval changes', () => {
  const counts = (segment: string, week: 'current' | 'previous', labeled: number, approved: number): SegmentCounts => ({
    model: 'm', week, segment: { issuer: segment }, events: labeled, labeled, approved,
  });
  const rows = [
    counts('A', 'current', 5000, 3500), counts('A', 'previous', 5000, 4000), // −10 pp on 5k: significant
    counts('B', 'current', 5000, 4010), counts('B', 'previous', 5000, 4000), // noise
    counts('C', 'current', 50, 10), counts('C', 'previous', 50, 40), // huge but below the minimum volume
    counts('D', 'current', 3000, 2400), // new this week: nothing to compare
  ];

  it('tests each segment with enough volume and controls the FDR across them', () => {
    const changes = compareWeeks(rows, { minVolume: 100, fdr: 0.01 });
    const a = changes.find((c) => c.segment.issuer === 'A');
    const b = changes.find((c) => c.segment.issuer === 'B');
    const pA = twoProportionZTest(3500, 5000, 4000, 5000).pValue;
    const pB = twoProportionZTest(4010, 5000, 4000, 5000).pValue;
    expect(a?.pValue).toBe(pA);
    expect(a?.qValue).toBe(benjaminiHochberg([pA, pB], 0.01).adjusted[0]);
    expect(a?.significant).toBe(true);
    expect(b?.significant).toBe(false);
    for (const untested of ['C', 'D']) expect(Number.isNaN(changes.find((c) => c.segment.issuer === untested)?.pValue)).toBe(true);
    expect(changes.find((c) => c.segment.issuer === 'D')?.previous.rate).toBeNaN();
  });

  it('lists significant movers first and fills a quiet week with the largest tested changes', () => {
    const movers = topMovers(compareWeeks(rows, { minVolume: 100, fdr: 0.01 }));
    expect(movers.map((c) => c.segment.issuer)).toEqual(['A', 'B']);
  });
});

describe('wording', () => {
  it('arrows say which way and whether that is good', () => {
    expect(trend(0.8, 0.82, TRENDS.approvalRate)).toEqual({ arrow: '▼', change: '−2.0\u00a0pp', tone: 'bad' });
    expect(trend(0.05, 0.02, TRENDS.ece)).toMatchObject({ arrow: '▲', tone: 'bad' });
    expect(trend(1010, 1000, TRENDS.volume)).toEqual({ arrow: '▲', change: '+1.0\u00a0%', tone: 'neutral' });
    expect(trend(1001, 1000, TRENDS.volume).arrow).toBe('→');
    expect(trend(NaN, 1000, TRENDS.volume).arrow).toBe('');
  });

  it('splits shadow reasons only outside parentheses', () => {
    expect(splitReasons('AUC +0.04 (p=0.001); approvals +2 pp (91 % vs 89 %; agreement 90 %); latency ok')).toEqual([
      'AUC +0.04 (p=0.001)',
      'approvals +2 pp (91 % vs 89 %; agreement 90 %)',
      'latency ok',
    ]);
  });
});

/** A report whose every user-supplied string is hostile. */
function hostileReport(): ReportData {
  const period = reportPeriod(new Date('2026-11-23T08:00:00Z'));
  const change = { model: HOSTILE, segment: { issuer: HOSTILE, region: 'EU' }, current: { events: 900, labeled: 800, approved: 400, rate: 0.5 }, previous: { events: 900, labeled: 800, approved: 700, rate: 0.875 }, delta: -0.375, pValue: 1e-20, qValue: 1e-19, significant: true };
  const hour = (h: number, week: 'current' | 'previous') => ({ model: HOSTILE, week, hour: new Date((week === 'current' ? period.week.from : period.previous.from).getTime() + h * 3_600_000), events: 500, labeled: 450, approved: 380 });
  return {
    period,
    trafficSource: 'rollup',
    models: [HOSTILE],
    headline: [{ model: HOSTILE, volume: { current: 1000, previous: 900 }, approvalRate: { current: 0.5, previous: 0.875 }, ece: { current: 0.02, previous: 0.01 }, worstPsi: { current: { value: 0.4, feature: HOSTILE, segment: { issuer: HOSTILE }, at: period.week.from }, previous: undefined } }],
    hourly: Array.from({ length: 48 }, (_, h) => [hour(h * 3, 'current'), hour(h * 3, 'previous')]).flat(),
    regions: [change],
    issuers: [change],
    issuersTested: 1,
    reliability: [{ model: HOSTILE, week: 'current', ece: 0.02, n: 100, bins: [{ lo: 0.5, hi: 0.6, count: 100, meanScore: 0.55, meanLabel: 0.5 }] }],
    performance: [{ model: HOSTILE, auc: { current: 0.71, previous: 0.75 }, logLoss: { current: 0.41, previous: 0.38 }, labeled: { current: 800, previous: 800 }, pValue: 0.02 }],
    psi: [{ model: HOSTILE, feature: HOSTILE, segment: { issuer: HOSTILE }, peak: 0.4, points: [{ hour: period.week.from, value: 0.1 }, { hour: new Date(period.week.from.getTime() + 86_400_000), value: 0.4 }] }],
    alerts: [],
    incidents: [],
    shadow: [{ model: HOSTILE, shadowVersion: HOSTILE, verdict: 'reject', reasons: [HOSTILE], at: period.week.from, cycles: { promote: 0, hold: 1, reject: 2 } }],
    experiments: [{ model: HOSTILE, control: HOSTILE, treatment: HOSTILE, verdict: 'rollback', reasons: [HOSTILE], at: period.week.from, cycles: { ship: 0, continue: 3, rollback: 1 }, lift: -0.041, lo: -0.06, hi: -0.02 }],
    quality: [{ level: 'critical', text: HOSTILE }],
    coverage: { current: { cycles: 3, psiRows: 1, shadowRows: 1, qualityRows: 1 }, previous: { cycles: 0, psiRows: 0, shadowRows: 0, qualityRows: 0 } },
    missing: [HOSTILE],
    settings: { psiWarning: 0.1, psiCritical: 0.25, fdr: 0.01, minVolume: 100, maturityMs: 7_200_000 },
  };
}

describe('rendering', () => {
  it('escapes every piece of user data in the HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const data = hostileReport();
    const charts = reportCharts(data);
    const html = renderHtml(data, charts, (c) => ({ src: `cid:${c.id}"><script>`, width: 600, height: 300 }));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html.match(/<img /g)?.length).toBe(charts.length);
    expect(renderText(data)).toContain(HOSTILE);
  });

  it('renders each chart of a report to a PNG, hostile labels included', async () => {
    const charts = reportCharts(hostileReport());
    expect(charts.map((c) => c.id)).toEqual(['approval', 'volume', expect.stringMatching(/^reliability-/), 'psi']);
    for (const chart of charts) {
      const { png, width, height } = await renderPng(chart.spec);
      const size = pngSize(png);
      expect(size.width).toBe(2 * width);
      expect(size.height).toBe(2 * height);
      expect(width).toBeGreaterThan(250);
      expect(png.length).toBeGreaterThan(5_000);
    }
  });
});
