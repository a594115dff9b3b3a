// An experiment verdict's lifecycle: recorded per model × control × treatment, with a message per new experiment and per change.
import type { Config } from '../config/index.js';
import type { ExperimentVerdict, ExperimentVerdictKind } from '../core/types.js';
import { decisionsDdl, type DecisionChange, type DecisionKind } from './decisions.js';
import { experimentKey } from './key.js';
import type { ExperimentFigures, ExperimentNotification } from './types.js';

export const EXPERIMENT_VERDICTS_TABLE = 'driftwatch_experiment_verdicts';

/** Only finite numbers travel: JSON would bring NaN back as null, and the message leaves out what is unknown. */
function figuresOf(v: ExperimentVerdict): ExperimentFigures {
  const source: Record<keyof ExperimentFigures, number | null> = {
    approvalLift: v.approvalLift,
    lo: v.lo,
    hi: v.hi,
    approvalRateControl: v.controlArm.approvalRate,
    approvalRateTreatment: v.treatmentArm.approvalRate,
    labeledControl: v.controlArm.labeled,
    labeledTreatment: v.treatmentArm.labeled,
    srmPValue: v.srmPValue,
  };
  return Object.fromEntries(Object.entries(source).filter(([, x]) => typeof x === 'number' && Number.isFinite(x))) as ExperimentFigures;
}

export function experimentNotification(change: DecisionChange<ExperimentVerdict>): ExperimentNotification {
  const v = change.verdict;
  return {
    kind: 'experiment',
    groupKey: experimentKey(v),
    model: v.model,
    control: v.control,
    treatment: v.treatment,
    ...(change.previous !== undefined ? { previous: change.previous as ExperimentVerdictKind } : {}),
    verdict: v.verdict,
    reasons: [...v.reasons],
    figures: figuresOf(v),
    at: change.at,
  };
}

/** Experiment verdicts in the decision log (alerts/decisions.ts): one subject per model × control × treatment. */
export const EXPERIMENT_DECISIONS: DecisionKind<ExperimentVerdict> = {
  table: EXPERIMENT_VERDICTS_TABLE,
  label: 'experiment verdicts',
  keyColumns: ['control', 'treatment'],
  key: (v) => ({ model: v.model, values: [v.control, v.treatment] }),
  verdict: (v) => v.verdict,
  reasons: (v) => v.reasons,
  notify: experimentNotification,
};

export function experimentVerdictsDdl(config: Config): string {
  return decisionsDdl(EXPERIMENT_DECISIONS, config);
}
