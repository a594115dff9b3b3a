// Five-minute strips of the raw pieces at window edges, read once and kept while the raw tables under them are unchanged.
import type { Config } from '../config/index.js';
import { HOUR_MS, OPEN_END_MS, STRIP_MS, floorHour, type Piece } from '../aggregates/pieces.js';
import { piecesPredicate } from '../aggregates/sql.js';
import { columnSql, renderSql, type QueryParams, type Store } from '../store/index.js';
import { highestBlock, newOutcomesSql, type SourcePart } from './detect.js';
import type { SumsDelta } from './window-sums.js';

export { STRIP_MS };

/**
 * One segment's (or model's) numbers in one strip, or in rest piece `-slot - 1` (the bits of the windows' raw
 * pieces that are no whole strip): what a strip query returns per row.
 */
export interface StripRow {
  slot: number;
  /**
   * The running sums' key of the row's segment (sumsKey: model and segment key). Made once, when the row is read:
   * the cache keeps the row, so every later cycle looks it up with the same string, whose hash is computed once.
   */
  key: string;
  model: string;
  segment: string[];
  values: readonly number[];
  indexes?: readonly number[];
  /** Label strips: the latest time (ms) of any outcome of the row's events, whether before the read's `at` or not. */
  settled?: number;
  /** Label strips: the performance sums of the same events, sparse (none when no event was scored in [0, 1]). */
  also?: { values: readonly number[]; indexes: readonly number[] };
}

interface Entry {
  /** Highest insert blocks of the source tables when the strip was read: later parts may change it. */
  eventMark: number;
  outcomeMark: number;
  rows: StripRow[];
  /** Label strips: the latest outcome time among the rows'; the entry holds for any `at` after it. */
  settled: number;
}

/** The strips of one question (PSI cells, label sums, quality counts), kept by RollupState between cycles. */
export class StripCache {
  readonly entries = new Map<number, Entry>();
  /**
   * The rows of the rest pieces read in one cycle (as of one `at`), by piece: another read of the cycle whose
   * windows end in the same pieces (the performance question's windows are some of the labels question's) takes
   * them from here.
   */
  rests: { when: string; rows: Map<string, StripRow[]> } = { when: '', rows: new Map() };
  /** Strip → the last cycle a read wanted it. */
  readonly #wanted = new Map<number, number>();
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `work` after any other caller's work on this cache (two sources of one RollupState share it). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Notes the strips a read of cycle `cycle` wants, and drops the entries no read wanted in this cycle or the one
   * before: reads of several windows of one question share the cache without evicting each other's strips.
   */
  keep(strips: readonly number[], cycle: number): void {
    for (const s of strips) this.#wanted.set(s, cycle);
    for (const [s, c] of this.#wanted) if (c < cycle - 1) this.#wanted.delete(s);
    for (const s of this.entries.keys()) if (!this.#wanted.has(s)) this.entries.delete(s);
  }
}

export interface StripPlan {
  /** Per window: its whole strips, and the rest of its raw pieces (read every time). */
  windows: { strips: number[]; rest: Piece[] }[];
  /** Strips to have in the cache: the windows' plus the other strips of complete edge hours, which later cycles need as the edges move. */
  wanted: number[];
  /** The windows' rest pieces cut where they overlap, each with the windows holding it: one read per piece, added to each. */
  rest: RestPiece[];
}

export interface RestPiece extends Piece {
  windows: number[];
}

/**
 * A piece within two hours cut at the hour between them (a window shorter than two hours and off the hour holds
 * no folded hour: it is one raw piece across an hour boundary), so each part is read as strips; others as they are.
 */
function withinHours(piece: Piece): Piece[] {
  const next = floorHour(piece.from) + HOUR_MS;
  if (piece.to === OPEN_END_MS || piece.to <= next || piece.to > next + HOUR_MS) return [piece];
  return [
    { from: piece.from, to: next },
    { from: next, to: piece.to },
  ];
}

/**
 * Splits each window's raw pieces into whole five-minute strips that are over by `at` and the rest. Only pieces
 * within one hour are split (window edges, the hour in progress; a piece across one hour boundary is cut there
 * first); longer pieces (a rollup not folded yet, the open future) stay whole. The edge hours that are complete are
 * wanted whole (but for strips a rest overlaps): an edge moves through its hour five minutes per cycle, so each of
 * its strips is read once.
 */
export function planStrips(pieces: readonly (readonly Piece[])[], at: number): StripPlan {
  const wanted = new Set<number>();
  const windows = pieces.map((list) => {
    const strips: number[] = [];
    const rest: Piece[] = [];
    for (const piece of list.flatMap(withinHours)) {
      const hour = floorHour(piece.from);
      if (piece.to === OPEN_END_MS || piece.to > hour + HOUR_MS) {
        rest.push(piece);
        continue;
      }
      const first = Math.ceil(piece.from / STRIP_MS) * STRIP_MS;
      let last = first;
      for (let s = first; s + STRIP_MS <= Math.min(piece.to, at); s += STRIP_MS) {
        strips.push(s);
        wanted.add(s);
        last = s + STRIP_MS;
      }
      if (first >= last) {
        rest.push(piece);
        continue;
      }
      if (piece.from < first) rest.push({ from: piece.from, to: first });
      if (last < piece.to) rest.push({ from: last, to: piece.to });
      if (hour + HOUR_MS <= at) for (let s = hour; s < hour + HOUR_MS; s += STRIP_MS) wanted.add(s);
    }
    return { strips, rest };
  });
  // A strip that overlaps some window's rest is not read now: its rows are taken from that rest, for every
  // window holding it (windows of a set overlap). It is read once the edge has moved past it.
  const rest = windows.flatMap((w) => w.rest);
  const overlapsRest = (s: number) => rest.some((p) => p.from < s + STRIP_MS && p.to > s);
  for (const w of windows) {
    const covered = w.strips.filter(overlapsRest);
    if (covered.length === 0) continue;
    w.strips = w.strips.filter((s) => !overlapsRest(s));
    w.rest.push(...covered.map((s) => ({ from: s, to: s + STRIP_MS })));
  }
  const free = [...wanted].filter((s) => !overlapsRest(s));
  return { windows, wanted: free.sort((a, b) => a - b), rest: disjointRest(windows.map((w) => w.rest)) };
}

/**
 * The windows' rest pieces cut at every edge of any of them, each with the windows holding it, adjacent pieces
 * held by the same windows joined: every row of any rest is in exactly one piece.
 */
export function disjointRest(rest: readonly (readonly Piece[])[]): RestPiece[] {
  const edges = [...new Set(rest.flat().flatMap((p) => [p.from, p.to]))].sort((a, b) => a - b);
  const out: RestPiece[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = edges[i] as number;
    const to = edges[i + 1] as number;
    const windows = rest.flatMap((list, w) => (list.some((p) => p.from <= from && p.to >= to) ? [w] : []));
    if (windows.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.to === from && last.windows.join() === windows.join()) last.to = to;
    else out.push({ from, to, windows });
  }
  return out;
}

/** Runs of contiguous strips as pieces (fewer predicates, the same rows). */
export function stripPieces(strips: readonly number[]): Piece[] {
  const out: Piece[] = [];
  for (const s of [...strips].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last.to === s) last.to = s + STRIP_MS;
    else out.push({ from: s, to: s + STRIP_MS });
  }
  return out;
}

export interface StripSources {
  events: SourcePart[];
  /** Only for label strips: outcome parts, the strips each part newer than the oldest entry touches, and `at`. */
  outcomes?: { parts: SourcePart[]; touched: Map<string, Set<number>>; at: number };
}

/**
 * A cached strip still holds what the raw tables hold: no later events part overlaps it; for labels, no later
 * outcome part holds an outcome of its transactions, and every outcome it counted came before `at`.
 */
function stillValid(strip: number, entry: Entry, sources: StripSources): boolean {
  const end = strip + STRIP_MS;
  for (const part of sources.events) {
    if (part.maxBlock <= entry.eventMark) continue;
    if (part.maxTime === 0 || (part.minTime < end && part.maxTime >= strip)) return false;
  }
  const outcomes = sources.outcomes;
  if (outcomes) {
    if (entry.settled >= outcomes.at) return false;
    for (const part of outcomes.parts) {
      if (part.maxBlock <= entry.outcomeMark) continue;
      if (outcomes.touched.get(part.name)?.has(strip)) return false;
    }
  }
  return true;
}

/**
 * The cached strips each outcome part above `mark` touches: strips holding an event whose transaction has an
 * outcome in the part (the label rule takes the latest outcome, however late it came).
 */
export async function touchedStrips(store: Store, config: Config, parts: readonly SourcePart[], mark: number, strips: readonly number[]): Promise<Map<string, Set<number>>> {
  const fresh = [...new Set(parts.filter((p) => p.maxBlock > mark).map((p) => p.name))];
  if (fresh.length === 0 || strips.length === 0) return new Map();
  const params: QueryParams = { parts: fresh };
  const predicate = piecesPredicate('e.event_time', stripPieces(strips), 't_p', params);
  const sql = renderSql(
    `SELECT DISTINCT o.part AS part, toUnixTimestamp64Milli(toDateTime64(intDiv(toUnixTimestamp(e.event_time), 300) * 300, 3)) AS strip
     FROM {{events}} AS e
     INNER JOIN (
       SELECT ${columnSql(config.columns.outcomes.transaction_id)} AS transaction_id, _part AS part
       FROM ${newOutcomesSql(config)}
     ) AS o ON e.transaction_id = o.transaction_id
     WHERE ${predicate}`,
    config,
  );
  const rows = await store.select<{ part: string; strip: number }>(sql, params, 'rollup strip outcome parts');
  const out = new Map<string, Set<number>>();
  for (const r of rows) out.set(r.part, (out.get(r.part) ?? new Set()).add(Number(r.strip)));
  return out;
}

export interface StripRead {
  cache: StripCache;
  /** The active parts of a source table as this cycle lists them (RollupState.parts). */
  parts: (table: string) => Promise<SourcePart[]>;
  /** The reading cycle (RollupState.cycle): what the cache keeps is what this cycle's and the last one's reads want. */
  cycle: number;
  /** Raw pieces per window. */
  pieces: readonly (readonly Piece[])[];
  at: number;
  /** Label strips depend on outcomes: the time their labels are read as of. */
  labelsAt?: number;
  /** Reads the whole strips (as contiguous pieces) and the rest pieces; rows of rest piece i carry slot −(i + 1). */
  query: (strips: Piece[], rest: Piece[]) => Promise<StripRow[]>;
}

/**
 * Signed vectors per window from the raw pieces: whole strips from the cache where still valid (read and kept
 * otherwise), the rest read every time. A steady cycle reads the strip that just ended; once an hour, as the
 * edges enter new hours, their hours' strips.
 */
export async function readStrips(store: Store, config: Config, read: StripRead): Promise<SumsDelta[]> {
  return (await readStripRows(store, config, read)).map(({ row, window }) => stripDelta(row, window));
}

/** readStrips' rows with the window each is added to (a row of a rest piece several windows hold comes once per window). */
export function readStripRows(store: Store, config: Config, read: StripRead): Promise<{ row: StripRow; window: number }[]> {
  return read.cache.exclusive(async () => {
    const plan = planStrips(read.pieces, read.at);
    const { strips, rest } = await fetchPlan(store, config, read, plan);
    const out: { row: StripRow; window: number }[] = [];
    for (const row of rest) for (const window of plan.rest[-row.slot - 1]?.windows ?? []) out.push({ row, window });
    plan.windows.forEach((w, window) => {
      for (const s of w.strips) for (const row of strips.get(s) ?? []) out.push({ row, window });
    });
    return out;
  });
}

/**
 * The rows of each five-minute strip of `span` (whole strips, over by `at`), oldest first, through the cache as
 * readStrips reads them: a sequential test's strips of the last hours cost the strip that just ended.
 */
export function readEachStrip(store: Store, config: Config, read: Omit<StripRead, 'pieces'> & { span: Piece }): Promise<StripRow[][]> {
  const { span } = read;
  if (span.from % STRIP_MS !== 0 || span.to % STRIP_MS !== 0 || span.to > read.at) throw new Error('readEachStrip: the span must be whole five-minute strips over by `at`');
  const hours: Piece[] = [];
  for (let from = span.from; from < span.to; from = Math.min(span.to, floorHour(from) + HOUR_MS)) hours.push({ from, to: Math.min(span.to, floorHour(from) + HOUR_MS) });
  return read.cache.exclusive(async () => {
    const { strips } = await fetchPlan(store, config, read, planStrips([hours], read.at));
    const out: StripRow[][] = [];
    for (let s = span.from; s < span.to; s += STRIP_MS) out.push(strips.get(s) ?? []);
    return out;
  });
}

/**
 * A plan's rows: its whole strips' from the cache where still valid (read and kept otherwise), by strip, and its
 * rest pieces' (read every time, slot −(i + 1)).
 */
async function fetchPlan(store: Store, config: Config, read: Omit<StripRead, 'pieces'>, plan: StripPlan): Promise<{ strips: Map<number, StripRow[]>; rest: StripRow[] }> {
  const { cache } = read;
  const [events, outcomeParts] = await Promise.all([read.parts(config.tables.events), read.labelsAt === undefined ? Promise.resolve(undefined) : read.parts(config.tables.outcomes)]);
  cache.keep(plan.wanted, read.cycle);
  const sources: StripSources = { events };
  if (outcomeParts && read.labelsAt !== undefined) {
    // Only the strips this read may use are checked; others kept for other windows are checked when read.
    const kept = plan.wanted.filter((s) => cache.entries.has(s));
    const oldest = Math.min(...kept.map((s) => (cache.entries.get(s) as Entry).outcomeMark));
    const touched = Number.isFinite(oldest) ? await touchedStrips(store, config, outcomeParts, oldest, kept) : new Map<string, Set<number>>();
    sources.outcomes = { parts: outcomeParts, touched, at: read.labelsAt };
  }
  const missing = plan.wanted.filter((s) => {
    const entry = cache.entries.get(s);
    return !entry || !stillValid(s, entry, sources);
  });
  // Rest pieces this cycle already read as of the same times come from the cycle's rows; the others are read.
  const when = `${read.cycle} ${read.at} ${read.labelsAt ?? ''}`;
  if (cache.rests.when !== when) cache.rests = { when, rows: new Map() };
  const pieceKey = (p: Piece) => `${p.from} ${p.to}`;
  const unread = plan.rest.map((p) => ({ from: p.from, to: p.to })).filter((piece) => !cache.rests.rows.has(pieceKey(piece)));
  const rows = missing.length > 0 || unread.length > 0 ? await read.query(stripPieces(missing), unread) : [];
  for (const piece of unread) cache.rests.rows.set(pieceKey(piece), []);
  // Marks taken before the read: a part landing meanwhile has a higher block and is looked at next time.
  const marks = { eventMark: highestBlock(events, -1), outcomeMark: outcomeParts ? highestBlock(outcomeParts, -1) : -1 };
  for (const s of missing) cache.entries.set(s, { ...marks, rows: [], settled: 0 });
  for (const row of rows) {
    if (row.slot < 0) {
      const piece = unread[-row.slot - 1];
      if (piece) cache.rests.rows.get(pieceKey(piece))?.push(row);
      continue;
    }
    const entry = cache.entries.get(row.slot * 1000);
    if (!entry) continue;
    entry.rows.push(row);
    entry.settled = Math.max(entry.settled, row.settled ?? 0);
  }
  // Rest rows carry the slot of their piece in this plan: −(i + 1) for plan.rest[i].
  const rest = plan.rest.flatMap((p, i) => (cache.rests.rows.get(pieceKey(p)) ?? []).map((row) => ({ ...row, slot: -(i + 1) })));
  const strips = new Map<number, StripRow[]>();
  for (const w of plan.windows) for (const s of w.strips) strips.set(s, cache.entries.get(s)?.rows ?? []);
  // A label strip that counted an outcome from `at` on reads differently as of another time: used now, not kept.
  if (read.labelsAt !== undefined) for (const s of missing) if ((cache.entries.get(s)?.settled ?? 0) >= read.labelsAt) cache.entries.delete(s);
  return { strips, rest };
}

/** A strip row's vector (`vector`: the row's own, or another the same read returned) as a change to `window`. */
export function stripDelta(row: StripRow, window: number, vector: Pick<StripRow, 'values' | 'indexes'> = row): SumsDelta {
  return { key: row.key, model: row.model, segment: row.segment, window, values: vector.values, ...(vector.indexes ? { indexes: vector.indexes } : {}) };
}
