import { describe, expect, it } from 'vitest';
import { alertKey, compileSilences, isSilenced, step, type LifecycleRules } from '../../src/alerts/index.js';
import { keyShadowVersion } from '../../src/alerts/key.js';
import { parseConfig } from '../../src/config/index.js';
import { HOUR, T0, at, evaluation, withSeverity } from './fixtures.js';

describe('alert key', () => {
  it('does not depend on the order of segment keys, and tells separators apart', () => {
    expect(alertKey(evaluation({ segment: { region: 'EU', issuer: 'Chase' } }))).toBe(alertKey(evaluation({ segment: { issuer: 'Chase', region: 'EU' } })));
    expect(alertKey(evaluation({ model: 'a|b', feature: 'c' }))).not.toBe(alertKey(evaluation({ model: 'a', feature: 'b|c' })));
  });

  it('tells two shadows of one model apart, and keeps the key of evaluations without a shadow version', () => {
    const shadow = (over: Parameters<typeof evaluation>[0]) => evaluation({ monitor: 'shadow', segment: {}, feature: 'auc_delta', ...over });
    const v41 = alertKey(shadow({ shadowVersion: 'v41', details: { verdict: 'reject' } }));
    const v42 = alertKey(shadow({ shadowVersion: 'v42', details: { verdict: 'reject' } }));
    expect(v41).not.toBe(v42);
    // Only the version counts: the verdict's other details change every cycle and must not start a new alert.
    expect(alertKey(shadow({ shadowVersion: 'v42', details: { verdict: 'hold', aucLive: 0.8 } }))).toBe(v42);
    expect(alertKey(evaluation({ details: { referenceRate: 0.9 } }))).toBe(JSON.stringify(['approval_rate', 'card-auth', { issuer: 'Chase', region: 'EU' }, 'delta']));
  });

  it('reads the shadow version back from a stored key (alerts written before it was a field carry it only there)', () => {
    const shadow = (over: Parameters<typeof evaluation>[0]) => evaluation({ monitor: 'shadow', segment: {}, feature: 'auc_delta', ...over });
    expect(keyShadowVersion(alertKey(shadow({ shadowVersion: 'v41 "quoted"' })))).toBe('v41 "quoted"');
    expect(keyShadowVersion(alertKey(evaluation({})))).toBeUndefined();
    expect(keyShadowVersion('not json')).toBeUndefined();
  });
});

describe('silences', () => {
  const silences = compileSilences(
    parseConfig({ alerts: { silences: [{ matchers: { issuer: '/Chase.*/', monitor: 'psi' }, expires: new Date(T0 + HOUR).toISOString() }] } }),
  );
  const alert = { monitor: 'psi' as const, model: 'card-auth', feature: 'score', segment: { issuer: 'Chase UK', region: 'EU' } };

  it('matches every matcher, regular expressions anchored, until it expires', () => {
    expect(isSilenced(silences, alert, new Date(T0))).toBe(true);
    expect(isSilenced(silences, { ...alert, monitor: 'calibration' }, new Date(T0))).toBe(false);
    expect(isSilenced(silences, { ...alert, segment: { issuer: 'Big Chase' } }, new Date(T0))).toBe(false);
    expect(isSilenced(silences, alert, new Date(T0 + HOUR))).toBe(false);
  });
});

describe('lifecycle step', () => {
  const rules: LifecycleRules = { for: 3, resolveAfter: 2, staleAfterMs: 24 * HOUR };

  it('never opens an alert for a warning', () => {
    expect(step(undefined, withSeverity('warning'), at(0), rules)).toBeUndefined();
  });

  it('keeps counters when a cycle does not evaluate the key', () => {
    const pending = step(step(undefined, evaluation(), at(0), rules), evaluation(), at(1), rules);
    expect(step(pending, undefined, at(2), rules)).toBe(pending);
    expect(step(step(pending, undefined, at(2), rules), evaluation(), at(3), rules)?.state).toBe('firing');
  });
});
