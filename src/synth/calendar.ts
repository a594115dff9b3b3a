// When synthetic traffic happens: hourly counts with diurnal and weekly seasonality, cut into day-sized chunks.

export const HOUR_MS = 3_600_000;

/**
 * Relative traffic by UTC hour of day: quiet nights, busy afternoons (peak 15:00). The swing is kept
 * moderate (night ≈ 0.35 × peak) so that a 12h incident carries at least a quarter of a 24h window's traffic
 * whatever hour it ends at.
 */
const HOUR_WEIGHTS: readonly number[] = [
  0.55, 0.5, 0.46, 0.45, 0.45, 0.5, 0.6, 0.72, 0.85, 0.95, 1.02, 1.08, 1.14, 1.18, 1.24, 1.28, 1.27, 1.23, 1.18, 1.1, 0.98, 0.86, 0.74,
  0.63,
];

/**
 * Relative traffic by UTC weekday, Sunday first: quieter weekends. Sunday stays above 75 % of
 * the weekly mean so a clean Sunday never looks like a volume drop at the default levels.
 */
const DAY_WEIGHTS: readonly number[] = [0.8, 0.98, 1.0, 1.0, 1.03, 1.12, 0.92];

const HOUR_TOTAL = HOUR_WEIGHTS.reduce((s, w) => s + w, 0);
const DAY_MEAN = DAY_WEIGHTS.reduce((s, w) => s + w, 0) / DAY_WEIGHTS.length;

/** Live transactions in the hour starting at `startMs`, for an average of `perDay` a day. */
export function hourCount(startMs: number, perDay: number): number {
  const at = new Date(startMs);
  const hour = HOUR_WEIGHTS[at.getUTCHours()] ?? 1;
  const day = DAY_WEIGHTS[at.getUTCDay()] ?? 1;
  return Math.round(((perDay * hour) / HOUR_TOTAL) * (day / DAY_MEAN));
}

/** Up to 24 consecutive hours written by one INSERT: draws `offset … offset + count − 1`. */
export interface Chunk {
  startMs: number;
  /** Global index of the chunk's first draw (each draw is one live transaction). */
  offset: number;
  /** Cumulative counts of the chunk's hours: draw `offset + i` falls in the first hour whose cum exceeds i. */
  cum: number[];
  count: number;
}

export interface TrafficPlan {
  fromMs: number;
  toMs: number;
  chunks: Chunk[];
  /** Live transactions in the whole plan (before scenario replicas). */
  total: number;
}

/**
 * The hours `[end − hours·1h, end)` with their counts, in chunks that end at UTC midnight (so each
 * INSERT writes one day's partition) and hold at most `hoursPerChunk` hours.
 */
export function planTraffic(endMs: number, hours: number, perDay: number, hoursPerChunk = 24): TrafficPlan {
  const fromMs = endMs - hours * HOUR_MS;
  const chunks: Chunk[] = [];
  let offset = 0;
  let chunk: Chunk | undefined;
  for (let h = 0; h < hours; h++) {
    const startMs = fromMs + h * HOUR_MS;
    if (!chunk || chunk.cum.length >= hoursPerChunk || new Date(startMs).getUTCHours() === 0) {
      chunk = { startMs, offset, cum: [], count: 0 };
      chunks.push(chunk);
    }
    const count = hourCount(startMs, perDay);
    chunk.count += count;
    chunk.cum.push(chunk.count);
    offset += count;
  }
  return { fromMs, toMs: endMs, chunks, total: offset };
}
