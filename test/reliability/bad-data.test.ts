// Bad data through ingest and a cycle: NaN, ±Inf, null, out-of-range scores, duplicates, orphan outcomes, clock skew.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import { ingestFile, type IngestSummary } from '../../src/ingest/index.js';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const SEGMENTS = [
  ['BANK A', 'EU'],
  ['BANK B', 'NA'],
] as const;

let t: TempStore;
let events: IngestSummary;
let outcomes: IngestSummary;
let result: CycleResult;

/** The same traffic for any model name: two segments, a reference week and a current day, outcomes a minute later. */
function traffic(model: string, lines: { events: object[]; outcomes: object[] }): void {
  SEGMENTS.forEach(([issuer, region], s) => {
    const random = rng(100 + s);
    const add = (fromH: number, toH: number, n: number, shift: number) => {
      for (let i = 0; i < n; i++) {
        const time = new Date(AT.getTime() - fromH * HOUR + random() * (fromH - toH) * HOUR);
        const score = Math.min(1, Math.max(0, 0.3 + 0.6 * random() + shift));
        const id = `${model}-${issuer}-${fromH}-${i}`;
        lines.events.push(eventRow({ time, id, issuer, region, score, model }));
        lines.outcomes.push(outcomeRow(id, new Date(time.getTime() + 60_000), random() < score ? 1 : 0));
      }
    };
    add(8 * 24, 24, 1200, 0);
    add(24, 0, 400, s === 0 ? -0.1 : 0);
  });
}

function jsonl(path: string, rows: object[]): string {
  writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

const at = (hours: number) => new Date(AT.getTime() + hours * HOUR);
const key = (e: Evaluation) => `${e.monitor} ${JSON.stringify(e.segment)} ${e.feature}`;

beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100 });
  const lines = { events: [] as object[], outcomes: [] as object[] };
  traffic('clean', lines);
  traffic('dirty', lines);
  // Bad scores in both windows of `dirty`, each with an outcome: valid data, counted, kept out of the statistics.
  const bad = (id: string, hours: number, score: number | string) => {
    lines.events.push({ ...eventRow({ time: at(hours), id, issuer: 'BANK A', region: 'EU', score: 0.5, model: 'dirty' }), score });
    lines.outcomes.push(outcomeRow(id, at(hours + 0.01), 1));
  };
  ['NaN', 'Infinity', '-Infinity', -0.2, 1.7].forEach((score, i) => bad(`bad-cur-${i}`, -5, score));
  ['NaN', 1.2].forEach((score, i) => bad(`bad-ref-${i}`, -72, score));
  // Clock skew: three events stamped two hours after the cycle.
  for (let i = 0; i < 3; i++) lines.events.push(eventRow({ time: at(2), id: `future-${i}`, issuer: 'BANK A', region: 'EU', score: 0.5, model: 'dirty' }));
  // Outcomes for transactions nobody scored (one of them twice: a replaced outcome).
  for (let i = 0; i < 4; i++) lines.outcomes.push(outcomeRow(`ghost-${i}`, at(-3), 1));
  lines.outcomes.push(outcomeRow('ghost-0', at(-2), 0));
  // Duplicate transaction ids (a logging pipeline that retried) in a model of their own.
  for (let i = 0; i < 150; i++) {
    const row = eventRow({ time: at(-3 - i / 100), id: `dup-${i}`, issuer: 'BANK A', region: 'EU', score: 0.6, model: 'dupes' });
    lines.events.push(row);
    if (i < 10) lines.events.push(row);
  }
  // Rows the schema refuses: null where the column is not Nullable. A null chargeback is fine.
  const nullScoreLine = lines.events.length + 1;
  lines.events.push({ ...eventRow({ time: at(-4), id: 'null-score', issuer: 'BANK A', region: 'EU', score: 0.5, model: 'dirty' }), score: null });
  lines.events.push({ ...eventRow({ time: at(-4), id: 'null-issuer', issuer: 'BANK A', region: 'EU', score: 0.5, model: 'dirty' }), issuer: null });
  expect(nullScoreLine).toBe(lines.events.length - 1);
  events = await ingestFile(t.store, t.config, { table: 'scoring_events', file: jsonl(join(t.dir, 'events.jsonl'), lines.events) });
  outcomes = await ingestFile(t.store, t.config, { table: 'outcomes', file: jsonl(join(t.dir, 'outcomes.jsonl'), lines.outcomes) });
  result = await runCycle(t.store, t.config, { at: AT });
});
afterAll(() => t?.cleanup());

describe('ingest', () => {
  it('refuses null in a column that is not Nullable, with the line and the column; everything else lands', () => {
    expect(events.errors.map((e) => e.line)).toEqual([events.lines - 1, events.lines]);
    expect(events.errors[0]?.reason).toMatch(/^score: /);
    expect(events.errors[1]?.reason).toMatch(/^issuer: /);
    expect(events.loaded).toBe(events.lines - 2);
    expect(outcomes.skipped).toBe(0);
  });

  it('stores NaN, ±Inf and out-of-range scores as they are', async () => {
    const [row] = await t.store.select<Record<string, number>>(
      `SELECT countIf(isNaN(score)) AS nan, countIf(score = inf) AS pos, countIf(score = -inf) AS neg, countIf(isFinite(score) AND (score < 0 OR score > 1)) AS out FROM scoring_events WHERE model = 'dirty'`,
    );
    expect(row).toEqual({ nan: 2, pos: 1, neg: 1, out: 3 });
  });
});

describe('the quality monitor counts each kind of bad row', () => {
  it('bad scores, duplicates, future events and orphan outcomes in the cycle result', () => {
    expect(result.quality).toMatchObject({ badScores: 5, duplicates: 10, futureEvents: 3, orphanOutcomes: 4 });
    const dirty = result.evaluations.find((e) => e.monitor === 'quality' && e.model === 'dirty' && e.feature === 'bad_score_rate');
    expect(dirty?.details).toEqual({ nan: 1, infinite: 2, outOfRange: 2 });
    expect(dirty?.severity).not.toBe('ok');
    const dupes = result.evaluations.find((e) => e.monitor === 'quality' && e.model === 'dupes' && e.feature === 'duplicate_rate');
    expect(dupes?.details).toEqual({ duplicates: 10 });
    expect(dupes?.severity).toBe('critical');
  });
});

describe('bad rows stay out of the statistics', () => {
  it('PSI and calibration of the model with bad rows equal those of the same traffic without them', () => {
    const of = (model: string) => new Map(result.evaluations.filter((e) => e.model === model && (e.monitor === 'psi' || e.monitor === 'calibration')).map((e) => [key(e), e]));
    const clean = of('clean');
    const dirty = of('dirty');
    expect([...dirty.keys()].sort()).toEqual([...clean.keys()].sort());
    expect(clean.size).toBeGreaterThanOrEqual(4);
    for (const [k, e] of clean) {
      const d = dirty.get(k) as Evaluation;
      expect(d.value, k).toBe(e.value);
      expect(d.severity, k).toBe(e.severity);
      if (e.monitor === 'psi') expect([d.nCurrent, d.nReference], k).toEqual([e.nCurrent, e.nReference]);
    }
    // The drift in BANK A is still found: the bad rows neither hide nor fake it.
    expect(dirty.get(`psi ${JSON.stringify({ issuer: 'BANK A', region: 'EU' })} score`)?.value).toBeGreaterThan(0.1);
  });
});
