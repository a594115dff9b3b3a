// Label names for segment columns, and hostile label values that must not break /metrics (parser and promtool).
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import { startServer } from '../../src/server.js';
import { labelValue, MAX_LABEL_VALUE_LENGTH, Metrics, segmentLabelNames } from '../../src/sinks/prometheus/index.js';

import { parseMetrics as parse } from '../helpers/prom.js';

const HOSTILE = [
  'x'.repeat(10_000),
  'x'.repeat(10_000) + 'y',
  'quote " and backslash \\ and \\n literal',
  'line one\nline two\r\nline three',
  'tab\there\u0000nul\u0007bell\u001bescape\u007fdel\u0085nel',
  '<script>alert("pwned")</script>',
  '} 1\nfake_metric{a="b"} 2\n# TYPE',
  'lone \uD800 surrogate',
  'emoji 💳 and ümlauts',
  '',
];

describe('segmentLabelNames', () => {
  test('keeps plain column names and prefixes taken or reserved ones', () => {
    expect(segmentLabelNames(['issuer', 'region'])).toEqual(['issuer', 'region']);
    expect(segmentLabelNames(['model', 'feature', 'window', 'job', 'instance', '__x'])).toEqual([
      'segment_model',
      'segment_feature',
      'segment_window',
      'segment_job',
      'segment_instance',
      'segment___x',
    ]);
    expect(segmentLabelNames(['model', 'segment_model'])).toEqual(['segment_model', 'segment_segment_model']);
    // driftwatch_finding_severity's own labels are taken too.
    expect(segmentLabelNames(['monitor', 'shadow_version'])).toEqual(['segment_monitor', 'segment_shadow_version']);
    // So are the labels the shipped rules set on their alerts: a rule's `severity` would overwrite the segment's.
    expect(segmentLabelNames(['severity', 'alertname', 'issuer'])).toEqual(['segment_severity', 'segment_alertname', 'issuer']);
  });
});

describe('labelValue', () => {
  test('leaves ordinary values alone', () => {
    for (const value of ['acme', 'EU-west 1', '<script>', 'quote " back \\', 'emoji 💳', '']) expect(labelValue(value)).toBe(value);
  });

  test('cuts long values and replaces control characters, adding a hash that keeps originals apart', () => {
    const long = labelValue('x'.repeat(10_000));
    expect(Array.from(long).length).toBeLessThanOrEqual(MAX_LABEL_VALUE_LENGTH);
    expect(long).toMatch(/^x+~[0-9a-f]{8}$/);
    expect(labelValue('x'.repeat(10_000) + 'y')).not.toBe(long);
    expect(labelValue('a\tb')).not.toBe(labelValue('a\rb'));
    expect(labelValue('a\tb')).toMatch(/^a\uFFFDb~[0-9a-f]{8}$/);
    expect(labelValue('💳'.repeat(200))).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('hostile label values on /metrics', () => {
  const at = new Date('2026-11-24T12:00:00Z');
  const window = { from: at, to: at };
  const evaluations: Evaluation[] = HOSTILE.map((issuer) => ({
    monitor: 'psi',
    model: issuer.slice(0, 300),
    segment: { issuer, region: issuer },
    feature: issuer,
    value: 0.5,
    threshold: 0.25,
    severity: 'critical',
    nCurrent: 500,
    nReference: 500,
  }));
  const result: CycleResult = {
    at,
    windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
    models: [],
    evaluations,
    findings: [],
    shadow: [{ model: HOSTILE[5] ?? '', shadowVersion: HOSTILE[3] ?? '', verdict: 'reject', reasons: [], agreement: 0.5 }],
    quality: { rows: 0, badScores: 0, missingOutcomes: 0, duplicates: 0 },
    durationMs: 10,
  };

  async function scrapeText(defaultMetrics: boolean): Promise<string> {
    const metrics = new Metrics(parseConfig({}), { defaultMetrics });
    metrics.recordCycle(result, [{ monitor: HOSTILE[6] ?? '', severity: 'critical', count: 1 }]);
    const server = await startServer({ metrics, ready: async () => ({ ready: true }), host: '127.0.0.1', port: 0 });
    try {
      return await (await fetch(`${server.url}/metrics`)).text();
    } finally {
      await server.close();
    }
  }

  test('still parse, one distinct series per distinct value, nothing over the length limit', async () => {
    const text = await scrapeText(true);
    expect(text).not.toMatch(/^fake_metric/m);
    const families = parse(text);
    const psi = families.find((f) => f.name === 'driftwatch_psi')?.metrics ?? [];
    expect(psi).toHaveLength(HOSTILE.length);
    expect(new Set(psi.map((s) => s.labels?.issuer)).size).toBe(HOSTILE.length);
    for (const sample of psi) {
      expect(sample.value).toBe('0.5');
      for (const value of Object.values(sample.labels ?? {})) expect(Array.from(value).length).toBeLessThanOrEqual(MAX_LABEL_VALUE_LENGTH);
    }
    const bySource = new Map(HOSTILE.map((raw) => [labelValue(raw), raw]));
    // Values without control characters and under the limit come back exactly as they went in.
    for (const raw of ['quote " and backslash \\ and \\n literal', '<script>alert("pwned")</script>', 'emoji 💳 and ümlauts', '']) {
      expect(psi.some((s) => s.labels?.issuer === raw)).toBe(true);
      expect(bySource.get(raw)).toBe(raw);
    }
    expect(families.find((f) => f.name === 'driftwatch_shadow_verdict')?.metrics).toHaveLength(3);
  });

  test('promtool check metrics accepts the output', async () => {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      console.warn('SKIPPED ASSERTION: promtool is not on PATH (Debian package "prometheus"), so `promtool check metrics` was not run');
      return;
    }
    // Only driftwatch's own metrics: prom-client's default nodejs_*_total gauges fail promtool's naming lint, a known upstream quirk.
    const text = await scrapeText(false);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
