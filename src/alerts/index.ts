// The alert engine's public API: lifecycle, grouping, silences and durable state; knows nothing of delivery.
export * from './types.js';
export { AlertEngine, type AlertEngineOptions } from './engine.js';
export { alertKey, sortedSegment, verdictKey } from './key.js';
export { assignGroups, classify, incidentKey, rollupKey, type IncidentInfo, type IncidentKind, type SharedInfo } from './incident.js';
export { verdictNotification } from './verdict.js';
export { recordVerdicts, saveVerdicts, SHADOW_VERDICTS_TABLE, shadowVerdictsDdl, verdictChanges, SHADOW_DECISIONS, type VerdictChange } from './verdicts.js';
export { DecisionTracker, decisionChanges, saveDecisions, type DecisionChange, type DecisionKind } from './decisions.js';
export { EXPERIMENT_DECISIONS, EXPERIMENT_VERDICTS_TABLE, experimentVerdictsDdl } from './experiments.js';
export { step, STALE_AFTER_MS, NO_LONGER_EVALUATED, type LifecycleRules } from './lifecycle.js';
export { groupNotification, toView } from './grouping.js';
export { compileSilences, isSilenced, type Silence } from './silences.js';
export { ALERTS_TABLE, alertTableDdl, ensureAlertTables, alertHistory } from './table.js';
