// Running sums of rollup rows over a cycle's windows, kept between cycles: a cycle reads only the hours that entered or left them.
import { HOUR_MS } from '../aggregates/pieces.js';
import { sortKey } from '../aggregates/rows.js';

/** Folded hours a window reads, with the ledger version of each. */
export type HourVersions = ReadonlyMap<number, number>;

/** The running sums' key of a segment: its model and the segment key the queries compute (`key`). */
export const sumsKey = (model: string, key: string): string => `${model}\u0000${key}`;

/** One segment's signed change to a window's vector: `values[i]` added at `indexes[i]` (or at i when dense). */
export interface SumsDelta {
  key: string;
  model: string;
  segment: string[];
  window: number;
  values: readonly number[];
  indexes?: readonly number[];
}

/**
 * What a loader must read: per window, the hours to add (at their target version) and to take away (at the version
 * the sums hold). An hour folded again is in both: its old version's rows out, its new version's in.
 */
export interface SumsChange {
  add: number[][];
  sub: number[][];
  /** The target version of every hour in `add`. */
  addVersions: Map<number, number>;
  /** The held version of every hour in `sub`. */
  subVersions: Map<number, number>;
  /**
   * Hours taken away at a version that may have been superseded since the sums read it, with that version: a sweep
   * (ledger.ts, sweepSuperseded) or a rebuild elsewhere may have deleted its rows, and taking away rows that are gone
   * would leave them counted. The loader checks they are all still there (throwing RowsGone when not) before reading.
   */
  held: [hour: number, version: number][];
}

/** Thrown by a loader when rows the sums must take away are gone: the update rebuilds instead. */
export class RowsGone extends Error {
  constructor(hours: number) {
    super(`rollup rows of ${hours} held hour(s) were swept; rebuilding the running sums`);
  }
}

/** After this many incremental updates the sums are rebuilt, so float rounding from subtraction cannot pile up. */
const MAX_UPDATES = 288;
/** A change touching more distinct hours than this (in any window) is read as a rebuild: one query over the windows either way. */
const MAX_DELTA_HOURS = 48;

/** One segment's running sums: a vector per window, and each vector's total (kept as deltas land, so a read need not add up every vector). */
export interface SumsEntry {
  key: string;
  model: string;
  segment: string[];
  /** ORDER BY model, segment as one string (rows.ts sortKey): made once per segment, not per read. */
  order: string;
  /** Per window; windows no delta reached share one zero vector: read the vectors, never write them. */
  windows: Float64Array[];
  totals: Float64Array;
}

export class WindowSums {
  /** Per segment key, its running sums. */
  readonly sums = new Map<string, SumsEntry>();
  /** The entries in ORDER BY model, segment order, kept until an entry comes or goes. */
  #sorted: SumsEntry[] | undefined;
  /**
   * The vector of every window no delta has reached yet, shared and never written (apply gives a window its own
   * vector first): a small segment has nothing in its short windows, and a vector is 2–4 KB.
   */
  readonly #zero: Float64Array;
  private hours: Map<number, number>[] = [];
  private updates = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly windowCount: number,
    readonly width: number,
  ) {
    this.#zero = new Float64Array(width);
  }

  /**
   * Brings the sums to the target hours, loading only the difference when it can: hours that entered a window
   * are added, hours that left it taken away, and an hour folded again (a new version: late outcomes, late events)
   * is taken away at the version the sums hold and added at its new one. It rebuilds instead on the first update,
   * after MAX_UPDATES, for a change of more than MAX_DELTA_HOURS hours, when the rows to take away are gone
   * (RowsGone), and for an hour that left the folded set while still inside its window's full hours `spans[w]`
   * (dropped by a rebuild not finished yet): only hours the window moved past are taken away.
   */
  async update(target: HourVersions[], load: (change: SumsChange) => Promise<SumsDelta[]>, spans?: { from: number; to: number }[]): Promise<void> {
    const change = this.hours.length > 0 && this.updates < MAX_UPDATES ? this.changeTo(target, spans) : undefined;
    if (change) {
      try {
        const deltas = change.add.some((hs) => hs.length > 0) || change.sub.some((hs) => hs.length > 0) ? await load(change) : [];
        for (const delta of deltas) this.apply(delta);
        this.updates++;
        this.hours = target.map((w) => new Map(w));
        return;
      } catch (error) {
        if (!(error instanceof RowsGone)) throw error;
      }
    }
    // Zeroed in place rather than cleared: segments left all zeros are dropped below.
    for (const entry of this.sums.values()) {
      entry.windows.fill(this.#zero);
      entry.totals.fill(0);
    }
    // Until the load succeeds the sums hold nothing: a failed load leaves them to be rebuilt, not trusted.
    this.hours = [];
    this.updates = 0;
    const addVersions = new Map<number, number>();
    for (const w of target) for (const [h, v] of w) addVersions.set(h, v);
    const add = target.map((w) => [...w.keys()]);
    if (add.some((hs) => hs.length > 0)) {
      for (const delta of await load({ add, sub: target.map(() => []), addVersions, subVersions: new Map(), held: [] })) this.apply(delta);
    }
    for (const [key, entry] of this.sums) {
      if (!entry.windows.every((vector) => vector.every((x) => x === 0))) continue;
      this.sums.delete(key);
      this.#sorted = undefined;
    }
    this.hours = target.map((w) => new Map(w));
  }

  /** The incremental change from the held hours to `target`, or undefined when it must be a rebuild (see update). */
  private changeTo(target: HourVersions[], spans?: { from: number; to: number }[]): SumsChange | undefined {
    const add = target.map((w, i) => [...w].filter(([h, v]) => this.hours[i]?.get(h) !== v).map(([h]) => h));
    const sub = this.hours.map((w, i) => [...w].filter(([h, v]) => target[i]?.get(h) !== v).map(([h]) => h));
    while (sub.length < this.windowCount) sub.push([]);
    const inside = (h: number, i: number) => {
      const span = spans?.[i];
      return !span || (h >= span.from && h < span.to);
    };
    const vanished = this.hours.some((w, i) => [...w.keys()].some((h) => !target[i]?.has(h) && inside(h, i)));
    if (vanished || new Set([...add, ...sub].flat()).size > MAX_DELTA_HOURS) return undefined;
    const addVersions = new Map<number, number>();
    add.forEach((hs, i) => hs.forEach((h) => addVersions.set(h, target[i]?.get(h) as number)));
    const subVersions = new Map<number, number>();
    sub.forEach((hs, i) => hs.forEach((h) => subVersions.set(h, this.hours[i]?.get(h) as number)));
    // A held version the target still has for that hour is the current fold: its rows cannot have been swept.
    const current = (h: number, v: number) => target.some((w) => w.get(h) === v);
    const held = [...subVersions].filter(([h, v]) => !current(h, v));
    return { add, sub, addVersions, subVersions, held };
  }

  /**
   * Whether an update to `target` would load only the hours that moved (not a rebuild for distance alone): how
   * RollupState picks, among a question's running sums, the ones that follow a window.
   */
  follows(target: HourVersions[]): boolean {
    if (this.hours.length !== target.length) return false;
    const moved = new Set<number>();
    target.forEach((w, i) => {
      const had = this.hours[i] as Map<number, number>;
      for (const h of w.keys()) if (!had.has(h)) moved.add(h);
      for (const h of had.keys()) if (!w.has(h)) moved.add(h);
    });
    return moved.size <= MAX_DELTA_HOURS;
  }

  /**
   * Runs `work` (an update and the reads of `sums` that follow it) after any other caller's work on these
   * sums has finished: two sources of one RollupState share the sums, and an update must not interleave with a read.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The entries in ORDER BY model, segment order (sorted again only after an entry came or went). */
  sorted(): readonly SumsEntry[] {
    this.#sorted ??= [...this.sums.values()].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return this.#sorted;
  }

  private apply(delta: SumsDelta): void {
    let entry = this.sums.get(delta.key);
    if (!entry) {
      const windows = new Array<Float64Array>(this.windowCount).fill(this.#zero);
      entry = { key: delta.key, model: delta.model, segment: delta.segment, order: sortKey(delta.model, delta.segment), windows, totals: new Float64Array(this.windowCount) };
      this.sums.set(delta.key, entry);
      this.#sorted = undefined;
    }
    let vector = entry.windows[delta.window] as Float64Array;
    if (vector === this.#zero) {
      vector = new Float64Array(this.width);
      entry.windows[delta.window] = vector;
    }
    entry.totals[delta.window] = (entry.totals[delta.window] as number) + addDelta(vector, delta);
  }
}

/** Adds a delta's values into one window's vector; returns their sum. */
export function addDelta(vector: Float64Array, delta: SumsDelta): number {
  const { values, indexes } = delta;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const at = indexes ? (indexes[i] as number) : i;
    const value = values[i] as number;
    vector[at] = (vector[at] as number) + value;
    sum += value;
  }
  return sum;
}

/**
 * The hour-index version lookups a delta query filters on, over the change's hours from `base` (seconds): the
 * version each hour is added at and the version it is taken away at (0 where it is not).
 */
export function changeVersions(change: SumsChange): { base: number; addVersions: number[]; subVersions: number[] } {
  const hours = [...change.addVersions.keys(), ...change.subVersions.keys()];
  if (hours.length === 0) return { base: 0, addVersions: [], subVersions: [] };
  const first = Math.min(...hours);
  const last = Math.max(...hours);
  const lookup = (versions: Map<number, number>) => {
    const out = new Array<number>((last - first) / HOUR_MS + 1).fill(0);
    for (const [h, v] of versions) out[(h - first) / HOUR_MS] = v;
    return out;
  };
  return { base: first / 1000, addVersions: lookup(change.addVersions), subVersions: lookup(change.subVersions) };
}
