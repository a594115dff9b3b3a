// Score bins and label sums from running window sums: hours entering or leaving a window from the rollup, raw pieces through the strip cache, the rest in Node.
import { SCORE_GRID_CELLS } from '../aggregates/grid.js';
import { chSecond, selectQuery } from '../aggregates/sql.js';
import type { BinnedSegment, CalibrationBinSums, LabelCounts, ScoreBinOptions, WindowLabels, WindowPair } from '../aggregates/types.js';
import { eventsFingerprint, labelsFingerprint } from './fingerprint.js';
import type { Ledger } from './ledger.js';
import { planWindow, type WindowPlan } from './plan.js';
import { labelsRaw, psiRaw, type ReadContext } from './raw-reads.js';
import { addDelta, changeVersions, type SumsChange, type SumsDelta, type WindowSums } from './window-sums.js';


interface DeltaRow {
  model: string;
  key: string;
  segment: string[];
  cells?: number[];
  d_ref: number[];
  d_cur: number[];
}

const spanOf = (plan: WindowPlan) => ({ from: plan.hourFrom, to: plan.hourTo });
const targetHours = (plan: WindowPlan, ledger: Ledger) => new Map(plan.hours.map((h) => [h, ledger.get(h)?.version ?? 0]));

/** Splits a delta row into one signed vector per window (sparse over cells for PSI, dense for labels). */
function deltasOf(row: DeltaRow): SumsDelta[] {
  const base = { key: `${row.model}\u0000${row.key}`, model: row.model, segment: row.segment };
  const indexes = row.cells?.map(Number);
  return [
    { ...base, window: 0, values: row.d_ref.map(Number), ...(indexes ? { indexes } : {}) },
    { ...base, window: 1, values: row.d_cur.map(Number), ...(indexes ? { indexes } : {}) },
  ];
}

async function loadDelta(ctx: ReadContext, query: string, models: string[], change: SumsChange): Promise<SumsDelta[]> {
  const { base, versions } = changeVersions(change);
  const hours = [...new Set([...change.add.flat(), ...change.sub.flat()])];
  const seconds = (hs: number[] | undefined) => (hs ?? []).map((h) => h / 1000);
  const rows = await selectQuery<DeltaRow>(ctx.store, ctx.config, query, {
    models,
    ref_add: seconds(change.add[0]),
    cur_add: seconds(change.add[1]),
    ref_sub: seconds(change.sub[0]),
    cur_sub: seconds(change.sub[1]),
    hours: hours.map(chSecond),
    base,
    versions,
  });
  return rows.flatMap(deltasOf);
}

/**
 * Visits every segment with its cached sums plus the raw pieces' rows: the cached segments in the cache's order,
 * then those only the raw pieces have. A segment the raw pieces touch is added up in scratch vectors (the cache
 * must stay the folded hours' sums), so `visit` copies what it keeps. Plain loops and no copies of untouched
 * vectors, since this runs over every segment every cycle.
 */
function merged(sums: WindowSums, raw: SumsDelta[], visit: (model: string, segment: string[], windows: readonly Float64Array[]) => void): void {
  const touched = new Map<string, SumsDelta[]>();
  for (const d of raw) {
    const deltas = touched.get(d.key);
    if (deltas) deltas.push(d);
    else touched.set(d.key, [d]);
  }
  const scratch = Array.from({ length: sums.windowCount }, () => new Float64Array(sums.width));
  const plus = (cached: readonly Float64Array[] | undefined, deltas: SumsDelta[]): Float64Array[] => {
    scratch.forEach((vector, w) => (cached ? vector.set(cached[w] as Float64Array) : vector.fill(0)));
    for (const d of deltas) addDelta(scratch[d.window] as Float64Array, d);
    return scratch;
  };
  for (const [key, entry] of sums.sums) {
    const deltas = touched.get(key);
    visit(entry.model, entry.segment, deltas ? plus(entry.windows, deltas) : entry.windows);
  }
  for (const [key, deltas] of touched) {
    const first = deltas[0] as SumsDelta;
    if (!sums.sums.has(key)) visit(first.model, first.segment, plus(undefined, deltas));
  }
}

/** Sorts like ORDER BY model, segment: one joined key per item (NUL sorts first, as a shorter array does). */
function byModelAndSegment<T extends { model: string; segment: string[] }>(items: T[]): T[] {
  const keyed = items.map((item) => ({ item, key: `${item.model}\u0000${item.segment.join('\u0000')}` }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

function total(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] as number;
  return sum;
}

/** psi_score.sql's bins: a cell goes to floor(B · reference count before it / reference total), or to its configured bin. */
function bins(ref: Float64Array, cur: Float64Array, totalRef: number, options: ScoreBinOptions): { referenceBins: number[]; currentBins: number[] } {
  const referenceBins = new Array<number>(options.bins).fill(0);
  const currentBins = new Array<number>(options.bins).fill(0);
  let before = 0;
  for (let cell = 0; cell < SCORE_GRID_CELLS; cell++) {
    const r = ref[cell] as number;
    const c = cur[cell] as number;
    const bin = options.cellBins.length > 0 ? (options.cellBins[cell] as number) : Math.min(options.bins - 1, Math.floor((before * options.bins) / totalRef));
    before += r;
    referenceBins[bin] = (referenceBins[bin] as number) + r;
    currentBins[bin] = (currentBins[bin] as number) + c;
  }
  return { referenceBins, currentBins };
}

/**
 * psi_score.sql's answer from the running sums of the score cells: segments for which `judged(nReference,
 * nCurrent)` holds (the seam's minVolume rule), binned.
 */
export async function scoreBinsFromSums(
  ctx: ReadContext,
  ledger: Ledger,
  windows: WindowPair,
  models: string[],
  options: ScoreBinOptions,
  judged: (nReference: number, nCurrent: number) => boolean,
): Promise<BinnedSegment[]> {
  const folded = new Set(ledger.keys());
  const ref = planWindow(windows.reference, folded);
  const cur = planWindow(windows.current, folded);
  const raw = await psiRaw(ctx, [ref.raw, cur.raw], models, windows.current.to);
  const target = [targetHours(ref, ledger), targetHours(cur, ledger)];
  const sums = ctx.state.windowSums(`psi ${eventsFingerprint(ctx.config)} ${JSON.stringify(models)}`, SCORE_GRID_CELLS, target);
  // Cached vectors are read in place: the statistics' inputs are taken inside the exclusive section.
  const out = await sums.exclusive(async () => {
    await sums.update(target, (change) => loadDelta(ctx, 'rollup_psi_delta', models, change), [spanOf(ref), spanOf(cur)]);
    const rows: BinnedSegment[] = [];
    merged(sums, raw, (model, segment, windows) => {
      const [r, c] = windows as [Float64Array, Float64Array];
      const nReference = total(r);
      const nCurrent = total(c);
      if (!judged(nReference, nCurrent)) return;
      rows.push({ model, feature: 'score', segment, nReference, nCurrent, ...bins(r, c, nReference, options) });
    });
    return rows;
  });
  return byModelAndSegment(out);
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

/** labels.sql's answer (over `matured`, the windows of label time) from the running sums of the label vectors. */
export async function labelsFromSums(ctx: ReadContext, ledger: Ledger, matured: WindowPair, models: string[], bins: number, at: Date): Promise<LabelCounts[]> {
  const width = 3 + 4 * bins;
  const folded = new Set(ledger.keys());
  const plans: [WindowPlan, WindowPlan] = [planWindow(matured.reference, folded), planWindow(matured.current, folded)];
  const raw = await labelsRaw(ctx, [plans[0].raw, plans[1].raw], models, bins, at);
  const target = [targetHours(plans[0], ledger), targetHours(plans[1], ledger)];
  const sums = ctx.state.windowSums(`labels ${labelsFingerprint(ctx.config)} ${bins} ${JSON.stringify(models)}`, width, target);
  const out = await sums.exclusive(async () => {
    await sums.update(target, (change) => loadDelta(ctx, 'rollup_labels_delta', models, change), [spanOf(plans[0]), spanOf(plans[1])]);
    const listed: LabelCounts[] = [];
    // Enough room for every cached segment and every raw row's segment, in both windows.
    const copies = new LabelCopies((sums.sums.size + raw.length) * 2, bins);
    merged(sums, raw, (model, segment, windows) => {
      const [r, c] = windows as [Float64Array, Float64Array];
      // A segment whose hours all left the windows keeps a zero vector in the cache; labels.sql would not list it.
      if ((r[0] as number) === 0 && (c[0] as number) === 0) return;
      listed.push({ model, segment, reference: copies.labels(r), current: copies.labels(c) });
    });
    return listed;
  });
  return byModelAndSegment(out);
}
