// The naive pull (what Evidently/NannyML-style tools do): stream the window's rows and outcomes into Node, compute PSI, ECE and approval there.
import type { CalibrationBinSums } from '../src/aggregates/types.js';
import type { Config } from '../src/config/index.js';
import { calibrationFromBins, psiFromCounts, twoProportionZTest } from '../src/stats/index.js';
import { chTime, type Store } from '../src/store/index.js';
import { resolveWindows } from '../src/core/windows.js';
import { OUTCOME_SKEW_MS } from '../src/aggregates/pieces.js';
import { hasVolume, volumeRule } from '../src/aggregates/volume.js';

const HOUR = 3_600_000;
const CELLS = 256;

interface SegmentState {
  cells: [Uint32Array, Uint32Array];
  /** Matured reference and current: events, labeled, approved, and per calibration bin count/Σscore/Σlabel/Σ(s−l)². */
  labels: [Float64Array, Float64Array];
}

export interface NaiveResult {
  segments: number;
  psi: Map<string, number>;
  ece: Map<string, number>;
  approvalP: Map<string, number>;
}

/** Typed arrays index as number | undefined under noUncheckedIndexedAccess; accumulation goes through here. */
const add = (a: Float64Array | Uint32Array, i: number, v: number): void => {
  a[i] = (a[i] as number) + v;
};

const cellOf = (s: number) => Math.min(CELLS - 1, Math.max(0, Math.floor((Math.log(s / (1 - s)) + 8) * 16)));

/** TabSeparated text of a query: the cheapest honest transfer (one string per chunk, split by hand, no JSON objects). */
async function lines(store: Store, query: string, params: Record<string, unknown>): Promise<string[][]> {
  const result = await store.client.query({ query, query_params: params, format: 'TabSeparated' });
  const text = await result.text();
  return text.length === 0 ? [] : text.slice(0, -1).split('\n').map((l) => l.split('\t'));
}

/** Deciles of the reference resolved on the grid (psi_score.sql's rule), then PSI. */
function psiOf(ref: Uint32Array, cur: Uint32Array, bins: number, epsilon: number): number {
  const total = ref.reduce((s, n) => s + n, 0);
  const r = new Array(bins).fill(0);
  const c = new Array(bins).fill(0);
  let before = 0;
  for (let cell = 0; cell < CELLS; cell++) {
    const b = Math.min(bins - 1, Math.floor((before * bins) / total));
    before += ref[cell] as number;
    r[b] += ref[cell];
    c[b] += cur[cell];
  }
  return psiFromCounts(r, c, { epsilon });
}

/**
 * Pulls the window hour by hour (the embedded connection buffers a whole result, so one query per hour keeps
 * memory bounded): live events of the hour, and their transactions' outcomes that arrived before `at` (the latest
 * counts), joined in a Map; everything is accumulated per segment and judged at the end.
 */
export async function naivePull(store: Store, config: Config, at: Date): Promise<NaiveResult> {
  const w = resolveWindows(config, at);
  const B = config.monitors.calibration.bins;
  const width = 3 + 4 * B;
  const segments = new Map<string, SegmentState>();
  const inRange = (t: number, from: Date, to: Date) => t >= from.getTime() && t < to.getTime();
  for (let hour = w.matured.reference.from.getTime(); hour < at.getTime(); hour += HOUR) {
    const to = Math.min(hour + HOUR, at.getTime());
    const events = await lines(
      store,
      `SELECT model, issuer, region, transaction_id, score, toUnixTimestamp64Milli(event_time) FROM scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
      { from: chTime(hour), to: chTime(to) },
    );
    const outcomes = await lines(
      store,
      `SELECT transaction_id, toUnixTimestamp64Milli(outcome_time), approved FROM outcomes
       WHERE outcome_time >= {from:DateTime64(3, 'UTC')} AND outcome_time < {to:DateTime64(3, 'UTC')}
         AND transaction_id IN (SELECT transaction_id FROM scoring_events
           WHERE variant = 'live' AND event_time >= {hour:DateTime64(3, 'UTC')} AND event_time < {hour_to:DateTime64(3, 'UTC')})
       ORDER BY outcome_time, approved`,
      { from: chTime(hour - OUTCOME_SKEW_MS), to: chTime(at.getTime()), hour: chTime(hour), hour_to: chTime(to) },
    );
    const known = new Map<string, { last: number; approved: number }>();
    for (const [id, time, approved] of outcomes) known.set(id as string, { last: Number(time), approved: Number(approved) });
    for (const [model, issuer, region, id, scoreText, timeText] of events) {
      const key = `${model}\t${issuer}\t${region}`;
      let s = segments.get(key);
      if (!s) {
        s = { cells: [new Uint32Array(CELLS), new Uint32Array(CELLS)], labels: [new Float64Array(width), new Float64Array(width)] };
        segments.set(key, s);
      }
      const score = Number(scoreText);
      const t = Number(timeText);
      const valid = score >= 0 && score <= 1;
      if (valid && inRange(t, w.reference.from, w.reference.to)) add(s.cells[0], cellOf(score), 1);
      if (valid && inRange(t, w.current.from, w.current.to)) add(s.cells[1], cellOf(score), 1);
      const win = inRange(t, w.matured.reference.from, w.matured.reference.to) ? 0 : inRange(t, w.matured.current.from, w.matured.current.to) ? 1 : -1;
      if (win === -1) continue;
      const l = s.labels[win] as Float64Array;
      add(l, 0, 1);
      const o = known.get(id as string);
      if (!o || o.last < t - OUTCOME_SKEW_MS) continue;
      add(l, 1, 1);
      add(l, 2, o.approved);
      if (!valid) continue;
      const b = 3 + 4 * Math.min(B - 1, Math.floor(score * B));
      add(l, b, 1);
      add(l, b + 1, score);
      add(l, b + 2, o.approved);
      add(l, b + 3, (score - o.approved) ** 2);
    }
  }
  const result: NaiveResult = { segments: segments.size, psi: new Map(), ece: new Map(), approvalP: new Map() };
  const min = config.minVolume;
  // The cycle's volume rule for PSI (a week's reference needs a week's volume: src/aggregates/volume.ts).
  const rule = volumeRule(config, w.reference);
  for (const [key, s] of segments) {
    const [ref, cur] = s.cells;
    if (hasVolume(rule, ref.reduce((a, n) => a + n, 0), cur.reduce((a, n) => a + n, 0))) result.psi.set(key, psiOf(ref, cur, config.monitors.psi.bins, config.monitors.psi.epsilon));
    const [lr, lc] = s.labels as [Float64Array, Float64Array];
    const bins: CalibrationBinSums[] = Array.from({ length: B }, (_, b) => ({ count: lc[3 + 4 * b]!, sumScore: lc[4 + 4 * b]!, sumLabel: lc[5 + 4 * b]!, sumSquaredError: lc[6 + 4 * b]! }));
    if (bins.reduce((a, b) => a + b.count, 0) >= min) result.ece.set(key, calibrationFromBins(bins).ece);
    if (lr[1]! >= min && lc[1]! >= min) result.approvalP.set(key, twoProportionZTest(lc[2]!, lc[1]!, lr[2]!, lr[1]!).pValue);
  }
  return result;
}
