// The report's charts as vega-lite specs (pure data → spec): approval and volume by hour, reliability, PSI.
import type { TopLevelSpec } from 'vega-lite';
import { segmentText } from './format.js';
import { CHART_FONT } from './png.js';
import { WEEK_MS } from './period.js';
import type { HourPoint, PsiSeries, Reliability, ReportData } from './types.js';

export interface Chart {
  /** Stable and unique within a report: the image's cid and file name. */
  id: string;
  title: string;
  /** What the image shows, for mail clients that block images and for screen readers. */
  alt: string;
  spec: TopLevelSpec;
}

const WIDTH = 560;
const THIS_WEEK = 'This week';
/** Drawn over this week's days: each point lies over the same weekday and hour of this week. */
const WEEK_BEFORE = 'Week before';
const COLORS = { current: '#1f5fa8', previous: '#a3acb9', warning: '#d97706', critical: '#c62828' };
/** Bucket lengths tried, shortest first: an hour of a small model is too noisy to read a rate from. */
const BUCKETS = [1, 3, 6, 12, 24];
/** Labels a typical bucket needs: about ±1.4 points of binomial noise (1 sd) on a rate near 0.8. */
const TYPICAL_LABELED = 800;
/** A bucket with fewer labels than this is left out rather than drawn as a spike. */
const MIN_LABELED = 30;

const CONFIG = {
  font: CHART_FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelColor: '#374151', titleColor: '#374151', gridColor: '#e5e7eb', domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 11 },
  legend: { labelColor: '#374151', labelFontSize: 11, titleFontSize: 11 },
  header: { labelFontSize: 12, labelFontWeight: 'bold', labelColor: '#111827' },
} as const;

/** Colour and dash share one legend (identical legend definitions merge). */
function weekEncoding(legend: Record<string, unknown>) {
  return {
    color: { field: 'week', type: 'nominal', scale: { domain: [THIS_WEEK, WEEK_BEFORE], range: [COLORS.current, COLORS.previous] }, legend },
    strokeDash: { field: 'week', type: 'nominal', scale: { domain: [THIS_WEEK, WEEK_BEFORE], range: [[1, 0], [5, 3]] }, legend },
  };
}

/** The whole week on the x axis, in UTC, even when the data starts late (a fresh install, an outage). */
function timeAxis(data: ReportData) {
  const domain = [data.period.week.from.toISOString(), data.period.week.to.toISOString()];
  return { field: 't', type: 'temporal', scale: { type: 'utc', domain }, axis: { title: null, format: '%a %d %b', labelAngle: 0, tickCount: 7 } };
}

export function reportCharts(data: ReportData): Chart[] {
  const charts: Chart[] = [];
  const live = [...new Set(data.hourly.map((h) => h.model))];
  if (live.length > 0) {
    charts.push(hourlyChart(data, 'approval', 'Approval rate, this week against the week before', 'rate', '.0%'));
    charts.push(hourlyChart(data, 'volume', 'Live scoring events per hour', 'events', '~s'));
  }
  for (const model of live) {
    const reliability = data.reliability.filter((r) => r.model === model);
    if (reliability.some((r) => r.week === 'current')) charts.push(reliabilityChart(model, reliability));
  }
  if (data.psi.length > 0) charts.push(psiChart(data));
  return charts;
}

/** The shortest bucket whose median holds TYPICAL_LABELED labels, per model: a small model gets longer buckets. */
function bucketHours(points: readonly HourPoint[]): number {
  const labeled = points.filter((p) => p.labeled > 0).map((p) => p.labeled).sort((a, b) => a - b);
  const median = labeled[Math.floor(labeled.length / 2)] ?? 0;
  return BUCKETS.find((hours) => median * hours >= TYPICAL_LABELED) ?? BUCKETS[BUCKETS.length - 1] ?? 24;
}

/** The week before is shifted forward 7 days, so each point lies over the same weekday and hour of this week. */
function hourlyValues(points: readonly HourPoint[], field: 'rate' | 'events') {
  const values: { model: string; week: string; t: string; value: number }[] = [];
  for (const model of [...new Set(points.map((p) => p.model))]) {
    const mine = points.filter((p) => p.model === model);
    const hours = field === 'rate' ? bucketHours(mine) : 1;
    const label = hours > 1 ? `${model} (${hours}-hour buckets)` : model;
    const bucketMs = hours * 3_600_000;
    const buckets = new Map<string, { week: string; t: number; events: number; labeled: number; approved: number }>();
    for (const p of mine) {
      const t = Math.floor(p.hour.getTime() / bucketMs) * bucketMs + (p.week === 'previous' ? WEEK_MS : 0);
      const week = p.week === 'current' ? THIS_WEEK : WEEK_BEFORE;
      const b = buckets.get(`${week}|${t}`) ?? { week, t, events: 0, labeled: 0, approved: 0 };
      b.events += p.events;
      b.labeled += p.labeled;
      b.approved += p.approved;
      buckets.set(`${week}|${t}`, b);
    }
    for (const b of buckets.values()) {
      if (field === 'rate' && b.labeled < MIN_LABELED) continue;
      values.push({ model: label, week: b.week, t: new Date(b.t).toISOString(), value: field === 'rate' ? b.approved / b.labeled : b.events / hours });
    }
  }
  return values;
}

function hourlyChart(data: ReportData, id: string, title: string, field: 'rate' | 'events', format: string): Chart {
  const models = new Set(data.hourly.map((h) => h.model)).size;
  const yTitle = field === 'rate' ? 'approval rate' : 'events / hour';
  return {
    id,
    title,
    alt: `${title}: this week as a solid line, the week before dashed, per model`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values: hourlyValues(data.hourly, field) },
      facet: { row: { field: 'model', type: 'nominal', title: null, header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelPadding: 4 } } },
      resolve: { scale: { y: 'independent' } },
      spacing: 16,
      spec: {
        width: WIDTH,
        height: models > 1 ? 130 : 170,
        mark: { type: 'line', strokeWidth: 1.6, interpolate: 'monotone' },
        encoding: {
          x: timeAxis(data),
          y: { field: 'value', type: 'quantitative', scale: { zero: field === 'events' }, axis: { format, title: yTitle, tickCount: 4 } },
          ...weekEncoding({ orient: 'top', title: null, symbolStrokeWidth: 2 }),
        },
      },
    } as TopLevelSpec,
  };
}

function reliabilityChart(model: string, reliability: readonly Reliability[]): Chart {
  const values = reliability.flatMap((r) =>
    r.bins.filter((b) => b.count > 0).map((b) => ({ week: r.week === 'current' ? THIS_WEEK : WEEK_BEFORE, score: b.meanScore, observed: b.meanLabel, n: b.count })),
  );
  const ece = reliability.find((r) => r.week === 'current')?.ece ?? NaN;
  const title = `${model}: reliability (ECE ${ece.toFixed(3)})`;
  return {
    id: `reliability-${model.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    title,
    alt: `${title}: observed approval rate against mean score per score bin, diagonal = perfect calibration`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      title: { text: model, anchor: 'start', fontSize: 12 },
      width: 250,
      height: 250,
      layer: [
        { data: { values: [{ a: 0, b: 1 }] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0, type: 'quantitative' }, y: { datum: 0, type: 'quantitative' }, x2: { datum: 1 }, y2: { datum: 1 } } },
        {
          data: { values },
          mark: { type: 'line', point: { filled: true, size: 36 } },
          encoding: {
            x: { field: 'score', type: 'quantitative', scale: { domain: [0, 1] }, axis: { title: 'mean score (predicted approval)', format: '.1f' } },
            y: { field: 'observed', type: 'quantitative', scale: { domain: [0, 1] }, axis: { title: 'observed approval rate', format: '.1f' } },
            ...weekEncoding({ orient: 'bottom', title: null, direction: 'horizontal' }),
          },
        },
      ],
    } as TopLevelSpec,
  };
}

function psiChart(data: ReportData): Chart {
  const series = data.psi;
  const levels = data.settings;
  const label = (s: PsiSeries) => `${s.model} · ${segmentText(s.segment)} · ${s.feature}`;
  const values = series.flatMap((s) => s.points.map((p) => ({ series: label(s), t: p.hour.toISOString(), psi: p.value })));
  const rules = [
    { level: `warning ${levels.psiWarning}`, psi: levels.psiWarning, color: COLORS.warning },
    { level: `critical ${levels.psiCritical}`, psi: levels.psiCritical, color: COLORS.critical },
  ];
  return {
    id: 'psi',
    title: 'PSI over the week, worst segments',
    alt: `PSI per hour of the ${series.length} segment × feature series with the highest PSI this week, with the warning and critical levels`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      // Narrower than the other charts: the level labels sit to the right of the plot.
      width: WIDTH - 70,
      height: 200,
      layer: [
        {
          data: { values: rules },
          mark: { type: 'rule', strokeDash: [4, 3] },
          encoding: { y: { field: 'psi', type: 'quantitative', scale: { type: 'sqrt' } }, color: { field: 'color', type: 'nominal', scale: null } },
        },
        {
          // Just right of the plot, where no line can run over them.
          data: { values: rules },
          mark: { type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 10 },
          encoding: { x: { value: WIDTH - 70 }, y: { field: 'psi', type: 'quantitative' }, text: { field: 'level' }, color: { field: 'color', type: 'nominal', scale: null } },
        },
        {
          data: { values },
          mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.6 },
          encoding: {
            x: timeAxis(data),
            // A square-root axis: a PSI of 2 and the 0.1 / 0.25 levels are both readable on it.
            y: { field: 'psi', type: 'quantitative', scale: { type: 'sqrt' }, axis: { title: 'PSI (hourly max, √ scale)', tickCount: 6 } },
            // Worst first, as in the table below the chart (a legend sorts by name otherwise).
            color: { field: 'series', type: 'nominal', scale: { domain: series.map(label), scheme: 'tableau10' }, legend: { orient: 'bottom', columns: 1, title: null, labelLimit: 540, symbolType: 'stroke' } },
          },
        },
      ],
    } as TopLevelSpec,
  };
}
