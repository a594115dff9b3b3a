// Score bins and label sums from running window sums: hours entering or leaving a window from the rollup, raw pieces through the strip cache, the rest in Node.
import { sortKey } from '../aggregates/rows.js';
import { referenceCellBins, SCORE_GRID_CELLS } from '../aggregates/grid.js';
import { chSecond, selectQuery } from '../aggregates/sql.js';
import { tableRef } from '../store/index.js';
import type { BinnedSegment, CalibrationBinSums, LabelCounts, PerformanceSegment, PerformanceWindow, ScoreBinOptions, WindowLabels, WindowSet } from '../aggregates/types.js';
import { eventsFingerprint, labelsFingerprint } from './fingerprint.js';
import type { Ledger } from './ledger.js';
import { planWindow, type WindowPlan } from './plan.js';
import { labelsRaw, PERFORMANCE_LAYOUT, psiRaw, scopeKey, scopeParams, type ReadContext, type Scope } from './raw-reads.js';
import { ROLLUP_TABLES } from './schema.js';
import { addDelta, changeVersions, RowsGone, sumsKey, type SumsChange, type SumsDelta, type WindowSums } from './window-sums.js';

/** One segment's signed change to one window's vector (sparse over cells for PSI, dense for labels). */
interface DeltaRow {
  model: string;
  key: string;
  segment: string[];
  window: number;
  cells?: number[];
  delta: number[];
}

const spanOf = (plan: WindowPlan) => ({ from: plan.hourFrom, to: plan.hourTo });
const targetHours = (plan: WindowPlan, ledger: Ledger) => new Map(plan.hours.map((h) => [h, ledger.get(h)?.version ?? 0]));

/**
 * The plans of a window set (reference first, then each current window), their raw pieces, and the running sums'
 * target: one vector per window, the reference's held once for every current window.
 */
function planSet(ledger: Ledger, windows: WindowSet): { plans: WindowPlan[]; target: Map<number, number>[] } {
  const folded = new Set(ledger.keys());
  const plans = [windows.reference, ...windows.currents].map((w) => planWindow(w, folded));
  return { plans, target: plans.map((p) => targetHours(p, ledger)) };
}

/**
 * Throws RowsGone unless every (hour, version) the change takes away at a possibly superseded version still has
 * rows in the rollup table of `kind`: a sweep or a rebuild by this or another process may have deleted them. A fold
 * that wrote no rows for its hour reads as gone too: a rebuild, slower but right. selectDelta checks before and
 * after the delta query: rows deleted by a sweep in another process while the delta was read show in the second.
 */
async function checkHeld(ctx: ReadContext, kind: 'events' | 'labels', change: SumsChange): Promise<void> {
  if (change.held.length === 0) return;
  const rows = await ctx.store.select<{ h: number; v: string }>(
    `SELECT DISTINCT toUnixTimestamp(hour) AS h, toString(version) AS v FROM ${tableRef(ctx.config, ROLLUP_TABLES[kind])}
     WHERE hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))})) AND version IN {versions:Array(UInt64)}`,
    { hours: change.held.map(([h]) => chSecond(h)), versions: change.held.map(([, v]) => v) },
    'rollup held rows',
  );
  const present = new Set(rows.map((r) => `${Number(r.h) * 1000} ${r.v}`));
  const gone = change.held.filter(([h, v]) => !present.has(`${h} ${v}`)).length;
  if (gone > 0) throw new RowsGone(gone);
}

/** A delta query's rows for a change: the hours each window adds and takes away, and the versions to read them at. */
async function selectDelta<Row>(ctx: ReadContext, kind: 'events' | 'labels', query: string, scope: Scope, change: SumsChange): Promise<Row[]> {
  await checkHeld(ctx, kind, change);
  const { base, addVersions, subVersions } = changeVersions(change);
  const hours = [...new Set([...change.add.flat(), ...change.sub.flat()])];
  const seconds = (hs: number[]) => hs.map((h) => h / 1000);
  const rows = await selectQuery<Row>(ctx.store, ctx.config, query, { ...scopeParams(scope), adds: change.add.map(seconds), subs: change.sub.map(seconds), hours: hours.map(chSecond), base, addVersions, subVersions });
  // Deleted rows do not come back: those still there now were there for the delta.
  await checkHeld(ctx, kind, change);
  return rows;
}

async function loadDelta(ctx: ReadContext, kind: 'events' | 'labels', query: string, scope: Scope, change: SumsChange): Promise<SumsDelta[]> {
  const rows = await selectDelta<DeltaRow>(ctx, kind, query, scope, change);
  return rows.map((row) => {
    const indexes = row.cells?.map(Number);
    return { key: sumsKey(row.model, row.key), model: row.model, segment: row.segment, window: Number(row.window), values: row.delta.map(Number), ...(indexes ? { indexes } : {}) };
  });
}

/** A raw read's deltas by segment key: grouped once per read (the cycle's questions share the read), not per question. */
export type RawBySegment = ReadonlyMap<string, SumsDelta[]>;

/** The label and performance deltas of one label strip read, each by segment key. */
export interface LabelsRawBySegment {
  labels: RawBySegment;
  performance: RawBySegment;
}

function bySegment(raw: readonly SumsDelta[]): RawBySegment {
  const grouped = new Map<string, SumsDelta[]>();
  for (const d of raw) {
    const deltas = grouped.get(d.key);
    if (deltas) deltas.push(d);
    else grouped.set(d.key, [d]);
  }
  return grouped;
}

/**
 * Visits every segment the cached sums or the raw pieces' rows hold, in ORDER BY model, segment order (lists built
 * in visiting order need no sort; the cache keeps its order between cycles). A window the raw pieces touch is
 * added up in a scratch vector (the cache must stay the folded hours' sums), the others are the cached vectors
 * themselves, so `visit` reads the vectors and copies what it keeps. `totals` are the vectors' totals (the cache
 * keeps them; scratch ones are added up with the deltas). Plain loops and no copies of untouched vectors, since
 * this runs over every segment every cycle.
 */
function merged(sums: WindowSums, touched: RawBySegment, visit: (model: string, segment: string[], windows: readonly Float64Array[], totals: Float64Array) => void): void {
  const count = sums.windowCount;
  const scratch = Array.from({ length: count }, () => new Float64Array(sums.width));
  const zero = new Float64Array(sums.width);
  const view = new Array<Float64Array>(count);
  const viewTotals = new Float64Array(count);
  const plus = (cached: { windows: readonly Float64Array[]; totals: Float64Array } | undefined, deltas: SumsDelta[]): Float64Array[] => {
    for (let w = 0; w < count; w++) view[w] = cached ? (cached.windows[w] as Float64Array) : zero;
    if (cached) viewTotals.set(cached.totals);
    else viewTotals.fill(0);
    for (const d of deltas) {
      const own = scratch[d.window] as Float64Array;
      if (view[d.window] !== own) {
        own.set(view[d.window] as Float64Array);
        view[d.window] = own;
      }
      viewTotals[d.window] = (viewTotals[d.window] as number) + addDelta(own, d);
    }
    return view;
  };
  // Segments only the raw rows hold (few: new since the last fold), sorted, merged into the cached order.
  const fresh = [...touched]
    .filter(([key]) => !sums.sums.has(key))
    .map(([, deltas]) => {
      const first = deltas[0] as SumsDelta;
      return { deltas, first, order: sortKey(first.model, first.segment) };
    })
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  let next = 0;
  const freshUpTo = (order: string | undefined) => {
    for (; next < fresh.length && (order === undefined || (fresh[next] as (typeof fresh)[number]).order < order); next++) {
      const { first, deltas } = fresh[next] as (typeof fresh)[number];
      visit(first.model, first.segment, plus(undefined, deltas), viewTotals);
    }
  };
  for (const entry of sums.sorted()) {
    freshUpTo(entry.order);
    const deltas = touched.get(entry.key);
    if (deltas) visit(entry.model, entry.segment, plus(entry, deltas), viewTotals);
    else visit(entry.model, entry.segment, entry.windows, entry.totals);
  }
  freshUpTo(undefined);
}

/** `read()` once per `key` in `reads` (a cycle's raw-piece reads, shared by its questions); a failed read is not kept, so the next asker tries again. */
function readOnce<T>(reads: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  let pending = reads.get(key);
  if (!pending) {
    pending = read().catch((error: unknown) => {
      reads.delete(key);
      throw error;
    });
    reads.set(key, pending);
  }
  return pending;
}

/** psi_score.sql's bins: a cell goes to its reference-quantile bin (referenceCellBins), or to its configured bin. */
function bins(ref: Float64Array, cur: Float64Array, options: ScoreBinOptions): { referenceBins: number[]; currentBins: number[] } {
  const referenceBins = new Array<number>(options.bins).fill(0);
  const currentBins = new Array<number>(options.bins).fill(0);
  const cellBins = options.cellBins.length > 0 ? options.cellBins : referenceCellBins(ref, options.bins);
  for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) {
    const bin = cellBins[cell] as number;
    referenceBins[bin] = (referenceBins[bin] as number) + (ref[cell] as number);
    currentBins[bin] = (currentBins[bin] as number) + (cur[cell] as number);
  }
  return { referenceBins, currentBins };
}

/**
 * psi_score.sql's answer for each current window of the set from the running sums of the score cells: segments
 * for which `judged(nReference, nCurrent)` holds (the seam's minVolume rule), binned.
 */
export async function scoreBinsFromSums(
  ctx: ReadContext,
  ledger: Ledger,
  windows: WindowSet,
  scope: Scope,
  options: ScoreBinOptions,
  judged: (nReference: number, nCurrent: number) => boolean,
  rawReads: Map<string, Promise<RawBySegment>> = new Map(),
): Promise<BinnedSegment[][]> {
  const { plans, target } = planSet(ledger, windows);
  // The raw pieces' cells, read once per cycle whatever the binning (the PSI deciles, the sequential test's and
  // KS's cells): `rawReads` is the cycle's.
  const pieces = plans.map((p) => p.raw);
  const raw = await readOnce(rawReads, JSON.stringify([pieces, scopeKey(scope)]), async () => bySegment(await psiRaw(ctx, pieces, scope, lastEnd(windows))));
  const sums = ctx.state.windowSums(`psi ${eventsFingerprint(ctx.config)} ${scopeKey(scope)} ${plans.length}`, SCORE_GRID_CELLS, target);
  // Cached vectors are read in place: the statistics' inputs are taken inside the exclusive section.
  const out = await sums.exclusive(async () => {
    await sums.update(target, (change) => loadDelta(ctx, 'events', 'rollup_psi_delta', scope, change), plans.map(spanOf));
    const rows: BinnedSegment[][] = windows.currents.map(() => []);
    merged(sums, raw, (model, segment, vectors, totals) => {
      const r = vectors[0] as Float64Array;
      const nReference = totals[0] as number;
      rows.forEach((list, w) => {
        const c = vectors[w + 1] as Float64Array;
        const nCurrent = totals[w + 1] as number;
        if (judged(nReference, nCurrent)) list.push({ model, feature: 'score', segment, nReference, nCurrent, ...bins(r, c, options) });
      });
    });
    return rows;
  });
  return out;
}

/** The latest end of a set's current windows: what its raw pieces are read as of. */
function lastEnd(windows: WindowSet): Date {
  return new Date(Math.max(...windows.currents.map((w) => w.to.getTime())));
}

/**
 * One window's label sums, read from a copy of its vector. Every segment is listed (the mix/rate split needs
 * them all) but few are judged, so the B calibration bins are built on first read only. The bins are a getter,
 * not an own property: JSON goes through toJSON, and a deep equality that walks own keys does not see them.
 */
class VectorLabels implements WindowLabels {
  readonly events: number;
  readonly labeled: number;
  readonly approved: number;
  readonly #vector: Float64Array;
  readonly #at: number;
  readonly #bins: number;
  #calibration: CalibrationBinSums[] | undefined;

  /** The vector's layout (rollup_labels_delta.sql) starts at `at`: events, labeled, approved, then B counts, Σ score, Σ label, Σ squared error. */
  constructor(vector: Float64Array, at: number, bins: number) {
    this.events = vector[at] as number;
    this.labeled = vector[at + 1] as number;
    this.approved = vector[at + 2] as number;
    this.#vector = vector;
    this.#at = at;
    this.#bins = bins;
  }

  get calibration(): CalibrationBinSums[] {
    if (this.#calibration) return this.#calibration;
    const v = this.#vector;
    const B = this.#bins;
    const first = this.#at + 3;
    const calibration = new Array<CalibrationBinSums>(B);
    for (let b = 0; b < B; b++) {
      const at = first + b;
      // Running sums that added and took away the same hours keep rounding dust: a bin's sums are clamped to
      // [0, count] (values in [0, 1] sum to no more), so an emptied bin is all zeros, as labels.sql gives it.
      const count = v[at] as number;
      const sum = (offset: number) => Math.min(count, Math.max(0, v[at + offset] as number));
      calibration[b] = { count, sumScore: sum(B), sumLabel: sum(2 * B), sumSquaredError: sum(3 * B) };
    }
    this.#calibration = calibration;
    return calibration;
  }

  toJSON(): WindowLabels {
    return { events: this.events, labeled: this.labeled, approved: this.approved, calibration: this.calibration };
  }
}

/**
 * Copies of the label vectors of one read, in one buffer: the cache moves on after the exclusive section, and
 * the bins are built later. A window without events is all zeros (labels.sql has no row for it), whatever
 * rounding dust its running sums hold.
 */
class LabelCopies {
  readonly #copies: Float64Array;
  readonly #zeros: Float64Array;
  #used = 0;

  constructor(
    vectors: number,
    readonly bins: number,
  ) {
    const width = 3 + 4 * bins;
    this.#copies = new Float64Array(vectors * width);
    this.#zeros = new Float64Array(width);
  }

  labels(vector: Float64Array): WindowLabels {
    if (!((vector[0] as number) > 0)) return new VectorLabels(this.#zeros, 0, this.bins);
    const at = this.#used;
    this.#copies.set(vector, at);
    this.#used += vector.length;
    return new VectorLabels(this.#copies, at, this.bins);
  }
}

/**
 * The label and performance sums of a matured window set's raw pieces, read once per cycle for both questions
 * (`rawReads` is the cycle's).
 */
function labelsRawOnce(ctx: ReadContext, plans: WindowPlan[], scope: Scope, bins: number, at: Date, rawReads: Map<string, Promise<LabelsRawBySegment>>): Promise<LabelsRawBySegment> {
  const pieces = plans.map((p) => p.raw);
  return readOnce(rawReads, JSON.stringify([pieces, scopeKey(scope), bins, at.getTime()]), async () => {
    const raw = await labelsRaw(ctx, pieces, scope, bins, at);
    return { labels: bySegment(raw.labels), performance: bySegment(raw.performance) };
  });
}

/** labels.sql's answer for each window of the set (the windows of label time) from the running sums of the label vectors. */
export async function labelsFromSums(
  ctx: ReadContext,
  ledger: Ledger,
  matured: WindowSet,
  scope: Scope,
  bins: number,
  at: Date,
  rawReads: Map<string, Promise<LabelsRawBySegment>> = new Map(),
): Promise<LabelCounts[][]> {
  const width = 3 + 4 * bins;
  const { plans, target } = planSet(ledger, matured);
  const raw = (await labelsRawOnce(ctx, plans, scope, bins, at, rawReads)).labels;
  const sums = ctx.state.windowSums(`labels ${labelsFingerprint(ctx.config)} ${bins} ${scopeKey(scope)} ${plans.length}`, width, target);
  const out = await sums.exclusive(async () => {
    await sums.update(target, (change) => loadDelta(ctx, 'labels', 'rollup_labels_delta', scope, change), plans.map(spanOf));
    const listed: LabelCounts[][] = matured.currents.map(() => []);
    // Enough room for every cached segment and every raw row's segment, in every window.
    const copies = new LabelCopies((sums.sums.size + raw.size) * plans.length, bins);
    merged(sums, raw, (model, segment, vectors) => {
      const r = vectors[0] as Float64Array;
      let reference: WindowLabels | undefined;
      listed.forEach((list, w) => {
        const c = vectors[w + 1] as Float64Array;
        // A segment whose hours all left the windows keeps a zero vector in the cache; labels.sql would not list it.
        if ((r[0] as number) === 0 && (c[0] as number) === 0) return;
        reference ??= copies.labels(r);
        list.push({ model, segment, reference, current: copies.labels(c) });
      });
    });
    return listed;
  });
  return out;
}

/**
 * One window's performance inputs copied out of its vector (PERFORMANCE_LAYOUT). Counts are rounded and sums clamped
 * at 0: running sums that added and took away the same hours keep rounding dust, and a count must be an integer.
 */
function performanceOf(v: Float64Array): PerformanceWindow {
  const { positives: p, negatives: n } = PERFORMANCE_LAYOUT;
  const counts = (at: number) => {
    const out = new Float64Array(SCORE_GRID_CELLS);
    for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) out[cell] = Math.max(0, Math.round(v[at + cell] as number));
    return out;
  };
  const sum = (at: number) => Math.max(0, v[at] as number);
  return { labeled: Math.max(0, Math.round(v[0] as number)), brier: sum(1), logLoss: sum(2), logLossSquares: sum(3), positives: counts(p), negatives: counts(n) };
}

/** A row of rollup_performance_delta.sql: one segment's sums over the hours entering (sign +1) or leaving (−1) a window. */
interface PerformanceDeltaRow {
  model: string;
  key: string;
  segment: string[];
  window: number;
  sign: number;
  labeled: number;
  brier: number;
  loss: number;
  loss_sq: number;
  cells: [number[], (number | string)[], (number | string)[]];
}

/** rollup_performance_delta.sql's rows as signed sparse deltas in PERFORMANCE_LAYOUT: the sign applied here, not per row in SQL. */
async function loadPerformanceDelta(ctx: ReadContext, scope: Scope, change: SumsChange): Promise<SumsDelta[]> {
  const rows = await selectDelta<PerformanceDeltaRow>(ctx, 'labels', 'rollup_performance_delta', scope, change);
  return rows.map((row) => {
    const sign = Number(row.sign);
    const [cells, positives, negatives] = row.cells;
    const indexes = [0, 1, 2, 3];
    const values = [row.labeled, row.brier, row.loss, row.loss_sq].map((x) => sign * Number(x));
    cells.forEach((cell, i) => {
      indexes.push(PERFORMANCE_LAYOUT.positives + Number(cell), PERFORMANCE_LAYOUT.negatives + Number(cell));
      values.push(sign * Number(positives[i]), sign * Number(negatives[i]));
    });
    return { key: sumsKey(row.model, row.key), model: row.model, segment: row.segment, window: Number(row.window), values, indexes };
  });
}

/**
 * performance.sql's answer for each window of the set (windows of label time) from the running sums of the
 * performance vectors: segments for which `judged(labeled in the reference, labeled in the window)` holds.
 */
export async function performanceFromSums(
  ctx: ReadContext,
  ledger: Ledger,
  matured: WindowSet,
  scope: Scope,
  at: Date,
  judged: (nReference: number, nCurrent: number) => boolean,
  bins: number,
  rawReads: Map<string, Promise<LabelsRawBySegment>> = new Map(),
): Promise<PerformanceSegment[][]> {
  const { plans, target } = planSet(ledger, matured);
  // The label strips' read (`bins`: the labels question's, so one read serves both) carries the performance sums.
  const raw = (await labelsRawOnce(ctx, plans, scope, bins, at, rawReads)).performance;
  const sums = ctx.state.windowSums(`performance ${labelsFingerprint(ctx.config)} ${scopeKey(scope)} ${plans.length}`, PERFORMANCE_LAYOUT.width, target);
  const out = await sums.exclusive(async () => {
    await sums.update(target, (change) => loadPerformanceDelta(ctx, scope, change), plans.map(spanOf));
    const listed: PerformanceSegment[][] = matured.currents.map(() => []);
    merged(sums, raw, (model, segment, vectors) => {
      const r = vectors[0] as Float64Array;
      let reference: PerformanceWindow | undefined;
      listed.forEach((list, w) => {
        const c = vectors[w + 1] as Float64Array;
        if (!judged(Math.round(r[0] as number), Math.round(c[0] as number))) return;
        reference ??= performanceOf(r);
        list.push({ model, segment, reference, current: performanceOf(c) });
      });
    });
    return listed;
  });
  return out;
}
