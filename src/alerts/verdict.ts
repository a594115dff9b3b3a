// A shadow's verdict change as a notification: announced as it happens, beside the alerts but outside their lifecycle.
import type { VerdictChange } from './verdicts.js';
import { verdictKey } from './key.js';
import type { VerdictFigures, VerdictNotification } from './types.js';

/** The numbers a verdict message shows, taken from the verdict's details (plus its agreement). */
const FIGURES: (keyof VerdictFigures)[] = [
  'aucLive', 'aucShadow', 'deltaAuc', 'pValue', 'nLabeled', 'latencyP99Live', 'latencyP99Shadow', 'expectedApprovalChangePp', 'agreement', 'nMatched',
];

/**
 * Only finite numbers are kept: the payload travels as JSON, where NaN would come back as null, and the
 * message leaves out what is unknown rather than printing "NaN".
 */
function figuresOf(change: VerdictChange): VerdictFigures {
  const source: Partial<Record<keyof VerdictFigures, unknown>> = { ...change.verdict.details, agreement: change.verdict.agreement };
  const figures: VerdictFigures = {};
  for (const name of FIGURES) {
    const value = source[name];
    if (typeof value === 'number' && Number.isFinite(value)) figures[name] = value;
  }
  return figures;
}

export function verdictNotification(change: VerdictChange): VerdictNotification {
  return {
    kind: 'verdict',
    groupKey: verdictKey(change),
    model: change.model,
    shadowVersion: change.shadowVersion,
    ...(change.previous ? { previous: change.previous } : {}),
    verdict: change.verdict.verdict,
    reasons: [...change.verdict.reasons],
    figures: figuresOf(change),
    at: change.at,
  };
}
