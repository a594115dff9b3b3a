// Statistics of seeded data computed in ClickHouse (default column names), to check what the generator promises.
import type { Store } from '../../src/store/index.js';
import { chTime } from '../../src/store/index.js';

export interface Slice {
  model?: string;
  version?: string;
  issuer?: string;
  region?: string;
  from: Date;
  to: Date;
}

/** A WHERE clause over scoring_events (alias e) for a slice, with its parameters. */
function where(slice: Slice, prefix = 's'): { sql: string; params: Record<string, unknown> } {
  const parts = [`e.event_time >= {${prefix}_from:DateTime64(3, 'UTC')}`, `e.event_time < {${prefix}_to:DateTime64(3, 'UTC')}`, 'isFinite(e.score)', 'e.score BETWEEN 0 AND 1'];
  const params: Record<string, unknown> = { [`${prefix}_from`]: chTime(slice.from), [`${prefix}_to`]: chTime(slice.to) };
  for (const key of ['model', 'issuer', 'region'] as const) {
    const value = slice[key];
    if (value !== undefined) {
      parts.push(`e.${key} = {${prefix}_${key}:String}`);
      params[`${prefix}_${key}`] = value;
    }
  }
  if (slice.version !== undefined) {
    parts.push(`e.model_version = {${prefix}_version:String}`);
    params[`${prefix}_version`] = slice.version;
  } else {
    parts.push(`e.variant = 'live'`);
  }
  return { sql: parts.join(' AND '), params };
}

const JOINED = (clause: string) => `FROM scoring_events AS e INNER JOIN (SELECT transaction_id, any(approved) AS approved FROM outcomes GROUP BY transaction_id) AS o ON o.transaction_id = e.transaction_id WHERE ${clause}`;

export async function approvalRate(store: Store, slice: Slice): Promise<{ rate: number; n: number }> {
  const w = where(slice);
  const [row] = await store.select<{ rate: number; n: number }>(`SELECT avg(o.approved) AS rate, count() AS n ${JOINED(w.sql)}`, w.params);
  return row ?? { rate: NaN, n: 0 };
}

export async function meanScore(store: Store, slice: Slice): Promise<number> {
  const w = where(slice);
  const [row] = await store.select<{ m: number }>(`SELECT avg(e.score) AS m FROM scoring_events AS e WHERE ${w.sql}`, w.params);
  return row?.m ?? NaN;
}

/** Expected calibration error with B uniform bins (README, "How findings are judged"), computed in SQL. */
export async function ece(store: Store, slice: Slice, bins = 10): Promise<number> {
  const w = where(slice);
  const [row] = await store.select<{ ece: number }>(
    `SELECT sum(n * abs(s - y)) / sum(n) AS ece FROM (
      SELECT count() AS n, avg(e.score) AS s, avg(o.approved) AS y ${JOINED(w.sql)}
      GROUP BY least(toUInt32(floor(e.score * {bins:UInt32})), {bins:UInt32} - 1))`,
    { ...w.params, bins },
  );
  return row?.ece ?? NaN;
}

/** PSI of score between two slices, with the reference's deciles as bins (epsilon 1e-4). */
export async function psi(store: Store, reference: Slice, current: Slice, bins = 10): Promise<number> {
  const r = where(reference, 'r');
  const [edges] = await store.select<{ q: number[] }>(`SELECT quantilesExact(${Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins).join(', ')})(e.score) AS q FROM scoring_events AS e WHERE ${r.sql}`, r.params);
  const counts = async (slice: Slice) => {
    const w = where(slice);
    const rows = await store.select<{ b: number; n: number }>(`SELECT arrayCount(x -> e.score > x, {edges:Array(Float64)}) AS b, count() AS n FROM scoring_events AS e WHERE ${w.sql} GROUP BY b`, { ...w.params, edges: edges?.q ?? [] });
    const out = new Array<number>(bins).fill(0);
    for (const row of rows) out[row.b] = row.n;
    const total = out.reduce((a, n) => a + n, 0);
    return out.map((n) => Math.max(n / total, 1e-4));
  };
  const e = await counts(reference);
  const a = await counts(current);
  return a.reduce((sum, ai, i) => sum + (ai - (e[i] as number)) * Math.log(ai / (e[i] as number)), 0);
}

/** AUC of a version's scores against approved (Mann–Whitney over a 20,000-bin histogram; ties count ½). */
export async function auc(store: Store, slice: Slice): Promise<{ auc: number; n: number }> {
  const w = where(slice);
  const rows = await store.select<{ b: number; pos: number; neg: number }>(
    `SELECT toUInt32(floor(e.score * 20000)) AS b, countIf(o.approved = 1) AS pos, countIf(o.approved = 0) AS neg ${JOINED(w.sql)} GROUP BY b ORDER BY b`,
    w.params,
  );
  let negBelow = 0;
  let wins = 0;
  let pos = 0;
  let neg = 0;
  for (const row of rows) {
    wins += row.pos * (negBelow + row.neg / 2);
    negBelow += row.neg;
    pos += row.pos;
    neg += row.neg;
  }
  return { auc: wins / (pos * neg), n: pos + neg };
}

/** Order-independent checksum of both source tables. */
export async function checksum(store: Store): Promise<{ events: string; outcomes: string; nEvents: number; nOutcomes: number }> {
  const [row] = await store.select<{ events: string; outcomes: string; nEvents: number; nOutcomes: number }>(
    `SELECT toString((SELECT sum(cityHash64(*)) FROM scoring_events)) AS events, toString((SELECT sum(cityHash64(*)) FROM outcomes)) AS outcomes,
      (SELECT count() FROM scoring_events) AS nEvents, (SELECT count() FROM outcomes) AS nOutcomes`,
  );
  if (!row) throw new Error('no checksum');
  return row;
}
