// The read seam: per-segment aggregates for the monitors, one source per cycle, served by the raw tables or the rollup.
export * from './types.js';
export { CycleSource, leavingOut, rawSource, rollupSource } from './source.js';
export { SCORE_GRID_CELLS, FINE_GRID_CELLS, cellMidpoint, EVERY_CELL, referenceCellBins } from './grid.js';
