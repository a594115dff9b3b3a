// Runs promtool (Debian package `prometheus`) and turns driftwatch's real /metrics exposition into promtool input series.
import { spawnSync } from 'node:child_process';
import type { Config } from '../../src/config/index.js';
import type { CycleResult } from '../../src/core/types.js';
import { Metrics, type FiringCount } from '../../src/sinks/prometheus/index.js';
import { parseMetrics, type MetricFamily } from '../helpers/prom.js';

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

export const PROMTOOL = which('promtool');
export const AMTOOL = which('amtool');
export const PROMTOOL_MISSING = 'promtool is not installed (Debian: apt-get install prometheus; .ci/run does it): promtool checks SKIPPED';
export const AMTOOL_MISSING = 'amtool is not installed (Debian: apt-get install prometheus-alertmanager): amtool check-config SKIPPED';

export interface ToolResult {
  status: number | null;
  output: string;
}

export function run(tool: string, args: string[], cwd: string): ToolResult {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** driftwatch's exposition after one recorded cycle and one failure, exactly as /metrics serves it. */
export async function exposition(config: Config, result: CycleResult, firing: FiringCount[]): Promise<MetricFamily[]> {
  const metrics = new Metrics(config, { defaultMetrics: false, now: () => result.at.getTime() });
  metrics.recordFailure(1200);
  metrics.recordCycle(result, firing);
  return parseMetrics(await metrics.registry.metrics());
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function seriesName(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return `${name}{${body}}`;
}

/**
 * promtool `input_series` holding each sample of the exposition for `minutes` minutes, with the labels Prometheus
 * adds when scraping (job, instance), plus the `up` series of the scrape. Counters and histogram buckets grow by
 * their value per minute so rate() and increase() have something to see.
 */
export function inputSeries(families: MetricFamily[], minutes: number, target = { job: 'driftwatch', instance: 'driftwatch:9464' }): { series: string; values: string }[] {
  const out: { series: string; values: string }[] = [{ series: seriesName('up', target), values: `1x${minutes}` }];
  const steady = (v: number) => `${v}x${minutes}`;
  const growing = (v: number) => `0+${v}x${minutes}`;
  for (const family of families) {
    for (const sample of family.metrics) {
      const labels = { ...target, ...(sample.labels ?? {}) };
      if (family.type === 'HISTOGRAM') {
        for (const [le, count] of Object.entries(sample.buckets ?? {})) out.push({ series: seriesName(`${family.name}_bucket`, { ...labels, le }), values: growing(Number(count)) });
        out.push({ series: seriesName(`${family.name}_count`, labels), values: growing(Number(sample.count)) });
        out.push({ series: seriesName(`${family.name}_sum`, labels), values: growing(Number(sample.sum)) });
      } else if (family.type === 'COUNTER') {
        out.push({ series: seriesName(family.name, labels), values: growing(Number(sample.value)) });
      } else {
        out.push({ series: seriesName(family.name, labels), values: steady(Number(sample.value)) });
      }
    }
  }
  return out;
}

/** Metric names a PromQL expression refers to (driftwatch's own and `up`), histogram suffixes folded into the family. */
export function metricNames(expr: string): string[] {
  const names = expr.match(/\b(driftwatch_\w+|up)\b(?=\s*[{[)\s]|$)/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))];
}

/** Label names an expression matches on or groups by: `{name="…"}`, `by (a, b)`, `without (a)`, `$labels.name`. */
export function labelNames(expr: string): string[] {
  const names = new Set<string>();
  for (const [, body] of expr.matchAll(/\{([^}]*)\}/g)) for (const [, name] of (body ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) names.add(name ?? '');
  for (const [, list] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const name of (list ?? '').split(',')) if (name.trim()) names.add(name.trim());
  return [...names];
}
