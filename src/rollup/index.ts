// The rollup: driftwatch's hourly sums of the source tables, kept current by refreshRollup before each cycle.
export { refreshRollup, rebuildRollup, dropRollup, type RefreshSummary, type RefreshOptions } from './refresh.js';
export { ROLLUP_TABLES, ROLLUP_DDL, ensureRollupTables } from './schema.js';
export { planWindow, planRange, type WindowPlan } from './plan.js';
export { RollupState } from './state.js';
