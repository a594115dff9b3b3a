// Aggregates per segment for the monitors: the seam a rollup can serve without touching stats or monitors.
export * from './types.js';
export { rawSource } from './raw.js';
export { rollupSource } from './rollup.js';
