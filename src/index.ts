// Public API of the driftwatch package: the statistics (README, "Library"), plus the pieces to run a cycle from code.
export * from './stats/index.js';
export type * from './core/types.js';
export { loadConfig, parseConfig, type Config, type ConfigInput } from './config/index.js';
export { checkSources, openStore, type SourceCheck, type Store } from './store/index.js';
export { ensureTables } from './setup.js';
export { runCycle, type CycleOptions } from './cycle.js';
export { runDocument } from './output.js';
