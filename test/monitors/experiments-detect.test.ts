// Which versions form an experiment, which is the control, and where its span starts: pure rules, no store.
import { describe, expect, it } from 'vitest';
import type { LiveVersion } from '../../src/aggregates/index.js';
import { parseConfig } from '../../src/config/index.js';
import { detectExperiments, latestRun } from '../../src/monitors/experiments/detect.js';
import { settingsOf } from '../../src/monitors/experiments/settings.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 0);
const hours = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => T0 + (from + i) * H);
const version = (v: string, referenceEvents: number, h: number[], recentEvents = 100): LiveVersion => ({ model: 'card-auth', version: v, referenceEvents, currentEvents: 500, recentEvents, hours: h });
const settings = (monitors: Record<string, unknown> = {}) => settingsOf(parseConfig({ monitors: { experiments: monitors } }));
const pairs = (vs: LiveVersion[], s = settings()) => detectExperiments(vs, ['card-auth'], s).map((e) => `${e.control.version}→${e.treatment.version} from ${(e.runStart - T0) / H}h`);

describe('detectExperiments', () => {
  it('makes the incumbent (two thirds of the reference) the control of a canary', () => {
    expect(pairs([version('v44', 300, hours(180, 200)), version('v41', 9_000, hours(0, 200))])).toEqual(['v41→v44 from 180h']);
  });

  it('keeps the control of a long-running 50/50 test whatever the noise in reference counts: the first served, then natural order', () => {
    const both = hours(0, 200);
    expect(pairs([version('v10', 5_010, both), version('v9', 4_990, both)])).toEqual(['v9→v10 from 0h']);
    expect(pairs([version('v10', 4_990, both), version('v9', 5_010, both)])).toEqual(['v9→v10 from 0h']);
    expect(pairs([version('v9', 4_990, hours(2, 200)), version('v10', 5_010, both)])).toEqual(['v10→v9 from 2h']);
  });

  it('takes the declared control and split', () => {
    const found = detectExperiments([version('v41', 9_000, hours(0, 200)), version('v44', 0, hours(190, 200))], ['card-auth'], settings({ declared: [{ model: 'card-auth', control: 'v44', split: { v41: 95, v44: 5 } }] }));
    expect(found.map((e) => [e.control.version, e.treatment.version, e.split])).toEqual([['v44', 'v41', { control: 0.05, treatment: 0.95 }]]);
  });

  it('finds none with one serving version, a version that stopped serving, or no hour served together', () => {
    expect(pairs([version('v41', 9_000, hours(0, 200))])).toEqual([]);
    expect(pairs([version('v41', 9_000, hours(0, 190), 0), version('v44', 0, hours(190, 200))])).toEqual([]);
    expect(pairs([version('v41', 9_000, hours(0, 190)), version('v44', 0, hours(191, 200))])).toEqual([]);
  });

  it('starts an experiment at the latest run of hours both served: a paused treatment that comes back starts anew', () => {
    expect(latestRun(hours(0, 200), [...hours(50, 60), ...hours(100, 200)])).toBe(T0 + 100 * H);
    expect(latestRun(hours(0, 10), hours(20, 30))).toBeUndefined();
  });
});
