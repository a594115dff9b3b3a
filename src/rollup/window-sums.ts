// Running sums of rollup rows over a cycle's windows, kept between cycles: a cycle reads only the hours that entered or left them.
import { HOUR_MS } from '../aggregates/pieces.js';

/** Folded hours a window reads, with the ledger version of each. */
export type HourVersions = ReadonlyMap<number, number>;

/** One segment's signed change to a window's vector: `values[i]` added at `indexes[i]` (or at i when dense). */
export interface SumsDelta {
  key: string;
  model: string;
  segment: string[];
  window: number;
  values: readonly number[];
  indexes?: readonly number[];
}

/** What a loader must read: per window, the hours to add and to take away (each with its version). */
export interface SumsChange {
  add: number[][];
  sub: number[][];
  versions: Map<number, number>;
}

/** After this many incremental updates the sums are rebuilt, so float rounding from subtraction cannot pile up. */
const MAX_UPDATES = 288;
/** A change touching more distinct hours than this (in any window) is read as a rebuild: one query over the windows either way. */
const MAX_DELTA_HOURS = 48;

export class WindowSums {
  /** Per segment key: a vector per window. */
  readonly sums = new Map<string, { model: string; segment: string[]; windows: Float64Array[] }>();
  private hours: Map<number, number>[] = [];
  private updates = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly windowCount: number,
    readonly width: number,
  ) {}

  /**
   * Brings the sums to the target hours, loading only the difference when it can. An hour folded again
   * (new version) cannot be taken away (its old rows are gone), so it means a rebuild, as do many changes,
   * and so does an hour that left the folded set while still inside its window's full hours `spans[w]`
   * (dropped by a rebuild not finished yet): only hours the window moved past are taken away.
   */
  async update(target: HourVersions[], load: (change: SumsChange) => Promise<SumsDelta[]>, spans?: { from: number; to: number }[]): Promise<void> {
    const versions = new Map<number, number>();
    for (const w of [...target, ...this.hours]) for (const [h, v] of w) versions.set(h, v);
    const stale = this.hours.some((w, i) => [...w].some(([h, v]) => target[i]?.has(h) && target[i]?.get(h) !== v));
    let add = target.map((w, i) => [...w.keys()].filter((h) => !this.hours[i]?.has(h)));
    let sub = this.hours.map((w, i) => [...w.keys()].filter((h) => !target[i]?.has(h)));
    const touched = new Set([...add, ...sub].flat()).size;
    const vanished = sub.some((hs, i) => hs.some((h) => !spans?.[i] || (h >= (spans[i] as { from: number }).from && h < (spans[i] as { to: number }).to)));
    const rebuild = this.hours.length === 0 || stale || vanished || touched > MAX_DELTA_HOURS || this.updates >= MAX_UPDATES;
    if (rebuild) {
      // Zeroed in place rather than cleared: a rebuild every cycle (late outcomes re-fold label hours) would
      // otherwise allocate every segment's vectors anew each time; segments left all zeros are dropped below.
      for (const entry of this.sums.values()) for (const vector of entry.windows) vector.fill(0);
      // Until the load succeeds the sums hold nothing: a failed load leaves them to be rebuilt, not trusted.
      this.hours = [];
      this.updates = 0;
      add = target.map((w) => [...w.keys()]);
      sub = target.map(() => []);
      for (const w of target) for (const [h, v] of w) versions.set(h, v);
    } else {
      this.updates++;
    }
    if ([...add, ...sub].some((hs) => hs.length > 0)) {
      while (sub.length < this.windowCount) sub.push([]);
      for (const delta of await load({ add, sub, versions })) this.apply(delta);
    }
    if (rebuild) for (const [key, entry] of this.sums) if (entry.windows.every((vector) => vector.every((x) => x === 0))) this.sums.delete(key);
    this.hours = target.map((w) => new Map(w));
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

  private apply(delta: SumsDelta): void {
    let entry = this.sums.get(delta.key);
    if (!entry) {
      entry = { model: delta.model, segment: delta.segment, windows: Array.from({ length: this.windowCount }, () => new Float64Array(this.width)) };
      this.sums.set(delta.key, entry);
    }
    addDelta(entry.windows[delta.window] as Float64Array, delta);
  }
}

/** Adds a delta's values into one window's vector. */
export function addDelta(vector: Float64Array, delta: SumsDelta): void {
  const { values, indexes } = delta;
  for (let i = 0; i < values.length; i++) {
    const at = indexes ? (indexes[i] as number) : i;
    vector[at] = (vector[at] as number) + (values[i] as number);
  }
}

/** The hour-index version lookup a delta query filters on: `{NAME}_base` and `{NAME}_versions` over the change's hours. */
export function changeVersions(change: SumsChange): { base: number; versions: number[] } {
  const hours = [...change.versions.keys()];
  if (hours.length === 0) return { base: 0, versions: [] };
  const first = Math.min(...hours);
  const last = Math.max(...hours);
  const versions = new Array<number>((last - first) / HOUR_MS + 1).fill(0);
  for (const [h, v] of change.versions) versions[(h - first) / HOUR_MS] = v;
  return { base: first / 1000, versions };
}
