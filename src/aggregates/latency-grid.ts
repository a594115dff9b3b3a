// The log grid of latencies, defined once: a latency's cell in SQL, a cell's midpoint, and quantiles of per-cell counts.

/**
 * Latencies are counted in cells uniform in ln(latency) from LATENCY_FROM_MS, each LATENCY_STEP (1 %) wider than the
 * one before, up to LATENCY_CELLS: 0.01 ms to ~9.6e5 ms (16 minutes); a latency below the first cell's start is
 * in cell 0, above the last cell's end in the last. A quantile read from the counts is the geometric midpoint of the
 * cell holding it, so it is within ½ % of the exact one (√1.01 − 1 = 0.499 %) for latencies inside the grid; both
 * read paths and the fold use this grid, so they agree exactly. Per-cell counts merge over hours: why exact
 * quantiles, which need the values, are not used for experiments' arms.
 */
export const LATENCY_FROM_MS = 0.01;
export const LATENCY_STEP = 1.01;
export const LATENCY_CELLS = 1850;

/** The geometric midpoint of a latency cell, in ms. */
export function latencyMidpoint(cell: number): number {
  return LATENCY_FROM_MS * LATENCY_STEP ** (cell + 0.5);
}

/**
 * The SQL of the cell of latency column `latency` (ms): NaN, ±Inf and negative latencies take cell 0 here, and
 * queries keep them out of the counts themselves (`isFinite(latency) AND latency >= 0`).
 */
export function latencyCellSql(latency: string): string {
  const safe = `if(isFinite(${latency}) AND ${latency} > ${LATENCY_FROM_MS}, ${latency}, ${LATENCY_FROM_MS})`;
  return `least(${LATENCY_CELLS - 1}, greatest(0, floor(log(${safe} / ${LATENCY_FROM_MS}) / log(${LATENCY_STEP}))))`;
}

/** Expands `{{latency_cell:COLUMN}}` (the column may be qualified: `a.latency_ms`). */
export function expandLatencyGrid(text: string): string {
  return text.replace(/\{\{latency_cell:([a-z_][a-z_0-9]*(?:\.[a-z_][a-z_0-9]*)?)\}\}/g, (_m, column: string) => latencyCellSql(column));
}

/**
 * The q-quantile of latencies counted per cell (sparse: cells and their counts), as the midpoint of the first cell
 * whose cumulative count reaches q · n; NaN without counts.
 */
export function latencyQuantile(cells: readonly number[], counts: readonly number[], q: number): number {
  const order = cells.map((cell, i) => [cell, counts[i] ?? 0] as const).sort((a, b) => a[0] - b[0]);
  const n = order.reduce((s, [, c]) => s + c, 0);
  if (!(n > 0)) return NaN;
  let seen = 0;
  for (const [cell, c] of order) {
    seen += c;
    if (seen >= q * n) return latencyMidpoint(cell);
  }
  return latencyMidpoint(order[order.length - 1]?.[0] ?? 0);
}
