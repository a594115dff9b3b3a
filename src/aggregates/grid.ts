// The fixed logit grid of scores, defined once: its constants, a cell's midpoint, and the SQL of a score's cell.

/**
 * Scores are counted in cells uniform in logit(score) over [GRID_LOGIT_FROM, GRID_LOGIT_TO], GRID_CELLS_PER_LOGIT
 * cells per unit (1/16 logit: 0.004 wide around p = 0.95, finer towards 0 and 1, where payment scores crowd).
 * PSI bins are unions of cells, so a rollup of per-cell counts gives the bins a raw read gives. The rollup's
 * fingerprint carries the grid: a change rebuilds what was folded on the old one.
 */
export const GRID_LOGIT_FROM = -8;
export const GRID_LOGIT_TO = 8;
export const GRID_CELLS_PER_LOGIT = 16;
/** Cells of the score grid: 256. */
export const SCORE_GRID_CELLS = (GRID_LOGIT_TO - GRID_LOGIT_FROM) * GRID_CELLS_PER_LOGIT;

/** The shadow monitor's joint histogram splits each score cell in this many (finer AUC and rank correlation). */
export const FINE_GRID_SPLIT = 4;
/** Cells of the fine grid per score: 1024. A joint cell's key is live cell · FINE_GRID_CELLS + shadow cell. */
export const FINE_GRID_CELLS = SCORE_GRID_CELLS * FINE_GRID_SPLIT;

/** The score at the logit midpoint of a cell of the score grid (or of the fine grid with `fine`). */
export function cellMidpoint(cell: number, fine = false): number {
  const perLogit = GRID_CELLS_PER_LOGIT * (fine ? FINE_GRID_SPLIT : 1);
  return 1 / (1 + Math.exp(-((cell + 0.5) / perLogit + GRID_LOGIT_FROM)));
}

/**
 * The SQL of the cell (a whole Float64; the query casts it) of score column `score`: a score outside [0, 1]
 * (NaN, ±Inf included) takes 0.5's cell, so no integer conversion ever sees NaN or Inf whether or not the engine
 * compiles the expression; queries keep such scores out of the counts themselves.
 */
export function gridCellSql(score: string, fine = false): string {
  const perLogit = GRID_CELLS_PER_LOGIT * (fine ? FINE_GRID_SPLIT : 1);
  const last = (fine ? FINE_GRID_CELLS : SCORE_GRID_CELLS) - 1;
  const p = `if(${score} >= 0 AND ${score} <= 1, ${score}, 0.5)`;
  return `least(${last}, greatest(0, floor((log(${p} / (1 - ${p})) - (${GRID_LOGIT_FROM})) * ${perLogit})))`;
}

/**
 * Expands the grid placeholders of a query: `{{grid_cell:COLUMN}}` and `{{fine_grid_cell:COLUMN}}` (gridCellSql
 * of that column, which may be qualified: `m.score`) and `{{fine_grid_cells}}`.
 */
export function expandGrid(text: string): string {
  return text
    .replace(/\{\{(fine_)?grid_cell:([a-z_][a-z_0-9]*(?:\.[a-z_][a-z_0-9]*)?)\}\}/g, (_m, fine: string | undefined, column: string) => gridCellSql(column, fine !== undefined))
    .replace(/\{\{fine_grid_cells\}\}/g, String(FINE_GRID_CELLS));
}

/** Each grid cell its own bin (ScoreBinOptions.cellBins): a window's counts per cell, which any binning is made of. */
export const EVERY_CELL: readonly number[] = Array.from({ length: SCORE_GRID_CELLS }, (_, cell) => cell);

/**
 * Bins of the score grid's cells by a reference's counts per cell (psi_score.sql's rule): a cell goes to
 * floor(B · reference count before it / reference total), so each bin holds about 1/B of the reference.
 */
export function referenceCellBins(reference: ArrayLike<number>, bins: number): number[] {
  let total = 0;
  for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) total += reference[cell] ?? 0;
  const out = new Array<number>(SCORE_GRID_CELLS);
  let before = 0;
  for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) {
    out[cell] = Math.min(bins - 1, Math.floor((before * bins) / total));
    before += reference[cell] ?? 0;
  }
  return out;
}
