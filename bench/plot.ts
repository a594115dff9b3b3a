// Plots benchmark results (the `--json` line) as time vs rows, log-log, one line per step: `node dist/bench/plot.js results.json out.png`.
import { readFileSync, writeFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import { renderPng } from '../src/report/png.js';

const STEPS = [
  ['bareScanS', 'bare scan (no join)'],
  ['joinS', 'events ⋈ outcomes join'],
  ['coldCycleS', 'cold cycle (empty rollup)'],
  ['cycleS', 'steady cycle (+5 min)'],
  ['naiveS', 'naive pull into Node'],
] as const;

export function chartSpec(results: Record<string, number>[]): TopLevelSpec {
  const values = results.flatMap((r) => STEPS.filter(([key]) => r[key] !== undefined).map(([key, step]) => ({ rows: r.rows, step, seconds: r[key] })));
  const rows = results.map((r) => r.rows ?? 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'driftwatch: seconds per step vs rows (embedded engine, 2 cores)',
    width: 520,
    height: 320,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'rows', type: 'quantitative', scale: { type: 'log', domain: [Math.min(...rows), Math.max(...rows)] }, title: 'scoring events (rows)' },
      y: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, title: 'seconds (median)' },
      color: { field: 'step', type: 'nominal', sort: STEPS.map(([, s]) => s), title: null, legend: { labelLimit: 320 } },
    },
    config: { font: 'DejaVu Sans' },
  };
}

if (process.argv[1]?.endsWith('plot.js')) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node dist/bench/plot.js results.json out.png');
    process.exit(2);
  }
  const lines = readFileSync(input, 'utf8').trim().split('\n');
  const results = JSON.parse(lines[lines.length - 1] as string) as Record<string, number>[];
  renderPng(chartSpec(results))
    .then((png) => writeFileSync(output, png.png))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
