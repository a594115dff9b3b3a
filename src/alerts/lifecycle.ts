// The life of one alert, as a pure step per cycle: pending → firing → resolved, with hysteresis.
import type { Evaluation } from '../core/types.js';
import { incidentKey } from './incident.js';
import { alertKey, sortedSegment } from './key.js';
import type { Alert } from './types.js';

export interface LifecycleRules {
  /** Consecutive critical cycles before a pending alert fires. */
  for: number;
  /** Consecutive cycles below warning before a firing alert resolves. */
  resolveAfter: number;
  /** An alert whose key goes unevaluated longer than this resolves ("no longer evaluated"). */
  staleAfterMs: number;
}

export const STALE_AFTER_MS = 24 * 3_600_000;
export const NO_LONGER_EVALUATED = 'no longer evaluated';

export function isActive(alert: Alert | undefined): alert is Alert & { state: 'pending' | 'firing' } {
  return alert !== undefined && (alert.state === 'pending' || alert.state === 'firing');
}

/** The evaluation's numbers, copied onto the alert so messages show the latest values. */
function withEvaluation(alert: Alert, e: Evaluation, at: Date): Alert {
  return {
    ...alert,
    severity: e.severity,
    value: e.value,
    threshold: e.threshold,
    nCurrent: e.nCurrent,
    nReference: e.nReference,
    pValue: e.pValue,
    qValue: e.qValue,
    details: e.details,
    window: e.window,
    lastEvaluated: at,
  };
}

function opened(e: Evaluation, at: Date): Alert {
  const base: Alert = {
    key: alertKey(e),
    groupKey: incidentKey(e),
    monitor: e.monitor,
    model: e.model,
    segment: sortedSegment(e.segment),
    feature: e.feature,
    ...(e.shadowVersion !== undefined ? { shadowVersion: e.shadowVersion } : {}),
    state: 'pending',
    severity: e.severity,
    value: e.value,
    threshold: e.threshold,
    nCurrent: e.nCurrent,
    nReference: e.nReference,
    criticalCount: 0,
    cleanCount: 0,
    since: at,
    lastEvaluated: at,
    notified: false,
    silenced: false,
  };
  return withEvaluation(base, e, at);
}

function fireIfDue(alert: Alert, rules: LifecycleRules, at: Date): Alert {
  return alert.state === 'pending' && alert.criticalCount >= rules.for ? { ...alert, state: 'firing', firingSince: at } : alert;
}

/**
 * One cycle for one key. `evaluation` is undefined when the cycle did not evaluate the key (segment under
 * minimum volume, monitor skipped): that is not a clean cycle, so counters stay, until the key has been
 * unevaluated for `staleAfterMs`. Returns the same object when nothing changed, and undefined when there
 * is no alert (a warning or ok evaluation never opens one: only critical pages).
 */
export function step(alert: Alert | undefined, evaluation: Evaluation | undefined, at: Date, rules: LifecycleRules): Alert | undefined {
  const live = isActive(alert) ? alert : undefined;
  if (!evaluation) {
    if (!live || at.getTime() - live.lastEvaluated.getTime() <= rules.staleAfterMs) return alert;
    return live.state === 'pending'
      ? { ...live, state: 'inactive', resolveReason: NO_LONGER_EVALUATED }
      : { ...live, state: 'resolved', resolvedAt: at, resolveReason: NO_LONGER_EVALUATED };
  }
  if (!live) {
    if (evaluation.severity !== 'critical') return alert;
    return fireIfDue({ ...opened(evaluation, at), criticalCount: 1 }, rules, at);
  }
  const next = withEvaluation(live, evaluation, at);
  if (evaluation.severity === 'critical') {
    return fireIfDue({ ...next, criticalCount: next.criticalCount + 1, cleanCount: 0 }, rules, at);
  }
  // Below critical: a pending alert has lost its run of consecutive critical cycles and never fired.
  if (next.state === 'pending') return { ...next, state: 'inactive', resolveReason: `${evaluation.severity} before firing` };
  // Hysteresis: warning keeps a firing alert firing and restarts the count of clean cycles.
  if (evaluation.severity === 'warning') return { ...next, cleanCount: 0 };
  const cleanCount = next.cleanCount + 1;
  if (cleanCount < rules.resolveAfter) return { ...next, cleanCount };
  return { ...next, cleanCount, state: 'resolved', resolvedAt: at, resolveReason: `below warning for ${cleanCount} cycles` };
}
