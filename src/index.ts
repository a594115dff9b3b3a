// Public API of the driftwatch package.
export * from './stats/index.js';
export type * from './monitors/types.js';
export { loadConfig, parseConfig, type Config, type ConfigInput } from './config/index.js';
export { openStore, ensureSchema, type Store } from './store/index.js';
