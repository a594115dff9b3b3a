import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isoTimeMs, loadConfig, parseConfig, substituteEnv } from '../../src/config/index.js';
import { configErrorMessage as messageOf } from '../helpers/failures.js';


describe('config defaults', () => {
  it('fills every default from an empty document, as the README Configuration section lists them', () => {
    const config = parseConfig({});
    expect(config.store.path).toBe('./data');
    expect(config.segments).toEqual(['issuer', 'region']);
    expect(config.windows).toEqual({ current: [900_000, 3_600_000, 21_600_000, 86_400_000], reference: 604_800_000, maturity: 7_200_000, maturities: { approved: 7_200_000 }, maturitySource: 'default' });
    expect(config.monitors.approval_rate.sequential).toEqual({ enabled: true, lookback: 21_600_000 });
    expect(config.minVolume).toBe(200);
    expect(config.schedule).toBe('*/5 * * * *');
    expect(config.sinks.prometheus).toMatchObject({ port: 9464, host: '127.0.0.1', maxSeries: 2000 });
    expect(config.sinks.slack).toEqual({ channel: '#payments-oncall', apiUrl: 'https://slack.com/api/' });
    expect(config.sinks.email).toEqual({ to: ['ml-team@example.com'], from: 'driftwatch@example.com', schedule: '0 8 * * 1', period: 'rolling' });
    expect(config.columns.events.score).toBe('score');
    expect(config.monitors.psi).toMatchObject({ bins: 10, epsilon: 1e-4, thresholds: { warning: 0.1, critical: 0.25 } });
  });

  it('accepts fixed-date windows', () => {
    const config = parseConfig({ windows: { reference: { from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' } } });
    expect(config.windows.reference).toEqual({ from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' });
  });
});

describe('config errors name the path and the fix', () => {
  it('suggests the known key for a typo', () => {
    expect(messageOf(() => parseConfig({ segmnts: ['issuer'] }))).toContain('segmnts: unknown key (did you mean segments?)');
    expect(messageOf(() => parseConfig({ sinks: { slack: { chanel: '#x' } } }))).toContain('sinks.slack.chanel: unknown key (did you mean sinks.slack.channel?)');
  });

  it('names the path of a wrong type', () => {
    expect(messageOf(() => parseConfig({ minVolume: 'lots' }))).toMatch(/minVolume: .*number/);
    expect(messageOf(() => parseConfig({ windows: { current: '24 hours' } }))).toContain('windows.current');
    expect(messageOf(() => parseConfig({ schedule: 'every minute' }))).toContain('schedule: must be a cron expression');
    expect(messageOf(() => parseConfig({ segments: ['issuer; DROP TABLE x'] }))).toContain('segments.0: must be an identifier');
  });

  it('rejects warning above critical', () => {
    expect(messageOf(() => parseConfig({ monitors: { psi: { thresholds: { warning: 0.5, critical: 0.1 } } } }))).toContain(
      'monitors.psi.thresholds: warning must not exceed critical',
    );
  });

  it('reports bad YAML and missing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'segments: [issuer\n');
    expect(messageOf(() => loadConfig(file))).toContain('is not valid YAML');
    // The parser's first line ends with "at line 2, column 1:" before a code frame: the message ends at the place.
    expect(messageOf(() => loadConfig(file))).toMatch(/at line \d+, column \d+$/);
    expect(messageOf(() => loadConfig(join(dir, 'missing.yaml')))).toContain('does not exist');
  });

  it('says what a union of forms expected, not "Invalid input"', () => {
    expect(messageOf(() => parseConfig({ windows: { current: '24 hours' } }))).toContain('windows.current: must be a duration like 30m, 24h, 7d or 2w');
    expect(messageOf(() => parseConfig({ windows: { current: '24 hours' } }))).not.toContain('Invalid input');
  });

  it('takes only real dates: 30 February is not 2 March', () => {
    expect(isoTimeMs('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(isoTimeMs('2026-13-01T00:00:00Z')).toBeUndefined();
    expect(isoTimeMs('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(isoTimeMs('2026-02-28T23:00:00-05:00')).toBe(Date.parse('2026-03-01T04:00:00Z'));
    expect(messageOf(() => parseConfig({ windows: { reference: { from: '2026-02-30T00:00:00Z', to: '2026-03-05T00:00:00Z' } } }))).toContain('a real date');
  });
});

describe('environment substitution', () => {
  it('replaces ${NAME} and ${NAME:-default}', () => {
    expect(substituteEnv('a: ${X}\nb: ${Y:-7}', { X: 'one' })).toBe('a: one\nb: 7');
  });

  it('fails clearly on an unset variable', () => {
    expect(messageOf(() => substituteEnv('a: ${MISSING_VAR}', {}))).toContain('MISSING_VAR is not set');
  });

  it('loads a file with substitution', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-config-'));
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'minVolume: ${MIN_VOL}\nsegments: [issuer]\n');
    expect(loadConfig(file, { MIN_VOL: '50' })).toMatchObject({ minVolume: 50, segments: ['issuer'] });
  });
});
