// A shadow verdict's lifecycle: the verdicts recorded per model × shadow version, and an announcement when one changes.
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import type { ShadowVerdict, ShadowVerdictKind } from '../core/types.js';
import { decisionChanges, decisionsDdl, saveDecisions, type DecisionChange, type DecisionKind } from './decisions.js';
import { verdictNotification } from './verdict.js';

export const SHADOW_VERDICTS_TABLE = 'driftwatch_shadow_verdicts';

/** A verdict that differs from the one recorded before it; `previous` is absent for a shadow seen the first time. */
export interface VerdictChange {
  model: string;
  shadowVersion: string;
  previous?: ShadowVerdictKind;
  /** When the previous verdict was recorded. */
  previousAt?: Date;
  verdict: ShadowVerdict;
  at: Date;
}

function shadowChange(c: DecisionChange<ShadowVerdict>): VerdictChange {
  return {
    model: c.verdict.model,
    shadowVersion: c.verdict.shadowVersion,
    ...(c.previous !== undefined ? { previous: c.previous as ShadowVerdictKind } : {}),
    ...(c.previousAt ? { previousAt: c.previousAt } : {}),
    verdict: c.verdict,
    at: c.at,
  };
}

/** Shadow verdicts in the decision log: one subject per model × shadow version (alerts/decisions.ts). */
export const SHADOW_DECISIONS: DecisionKind<ShadowVerdict> = {
  table: SHADOW_VERDICTS_TABLE,
  label: 'shadow verdicts',
  keyColumns: ['shadow_version'],
  key: (v) => ({ model: v.model, values: [v.shadowVersion] }),
  verdict: (v) => v.verdict,
  reasons: (v) => v.reasons,
  notify: (c) => verdictNotification(shadowChange(c)),
};

export function shadowVerdictsDdl(config: Config): string {
  return decisionsDdl(SHADOW_DECISIONS, config);
}

/** This cycle's verdicts that differ from the latest one recorded before `at` (decisionChanges); reads only. */
export async function verdictChanges(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<VerdictChange[]> {
  return (await decisionChanges(store, config, SHADOW_DECISIONS, verdicts, at)).map(shadowChange);
}

/** Appends this cycle's verdicts: what the next cycle's changes are measured against. */
export function saveVerdicts(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<void> {
  return saveDecisions(store, config, SHADOW_DECISIONS, verdicts, at);
}

/**
 * Records this cycle's verdicts and returns those that changed (`verdictChanges`, then `saveVerdicts`). A caller
 * that announces the changes durably should queue them between the two steps instead (DecisionTracker), so a failed
 * write repeats an announcement rather than losing it. `run --once` must not call it: a one-off run leaves state alone.
 */
export async function recordVerdicts(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<VerdictChange[]> {
  const changes = await verdictChanges(store, config, verdicts, at);
  await saveVerdicts(store, config, verdicts, at);
  return changes;
}
