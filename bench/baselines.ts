// The two baselines a cycle is judged against: a bare scan of the window grouped by segment, and the events ⋈ outcomes join.
import type { Config } from '../src/config/index.js';
import { chTime, type Store } from '../src/store/index.js';
import { resolveWindows } from '../src/core/windows.js';
import { OUTCOME_SKEW_MS } from '../src/aggregates/pieces.js';
import { ensureRollupTables } from '../src/rollup/index.js';
import { ensureTables } from '../src/setup.js';

/** One SELECT over the whole window reading the columns a cycle needs, grouped by segment, no join. */
export async function bareScan(store: Store, config: Config, at: Date): Promise<number> {
  const w = resolveWindows(config, at);
  const rows = await store.select(
    `SELECT model, issuer, region, count() AS n, countIf(score >= 0 AND score <= 1) AS valid, sum(score) AS s
     FROM scoring_events
     WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
     GROUP BY model, issuer, region`,
    { from: chTime(w.matured.reference.from), to: chTime(w.current.to) },
    'bench bare scan',
  );
  return rows.length;
}

/** Above this many rows the join runs as a grace hash join with external GROUP BY: one hash table of 100M would not fit. */
const SPILL_ROWS = 30_000_000;
const SPILL_SETTINGS = ", join_algorithm = 'grace_hash', grace_hash_join_initial_buckets = 16, max_bytes_before_external_group_by = 4000000000";

/** The events ⋈ outcomes join over the (matured) window with the label rule, aggregated by segment: the floor of any exact full recompute. */
export async function join(store: Store, config: Config, at: Date, tableRows: number): Promise<number> {
  const w = resolveWindows(config, at);
  const rows = await store.select(
    `SELECT e.model AS model, e.issuer AS issuer, e.region AS region, count() AS n,
       countIf(o.transaction_id != '' AND o.last_outcome >= e.event_time - toIntervalMillisecond({skew_ms:UInt64})) AS labeled,
       sumIf(o.approved, o.transaction_id != '') AS approved, sumIf(e.score, o.transaction_id != '') AS score
     FROM (
       SELECT transaction_id, model, issuer, region, score, event_time FROM scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
     ) AS e
     LEFT JOIN (
       SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome FROM outcomes
       WHERE outcome_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64}) AND outcome_time < {at:DateTime64(3, 'UTC')}
       GROUP BY transaction_id
     ) AS o ON e.transaction_id = o.transaction_id
     GROUP BY model, issuer, region
     SETTINGS join_use_nulls = 0${tableRows > SPILL_ROWS || process.env.DRIFTWATCH_BENCH_SPILL ? SPILL_SETTINGS : ''}`,
    { from: chTime(w.matured.reference.from), to: chTime(w.matured.current.to), at: chTime(at), skew_ms: OUTCOME_SKEW_MS },
    'bench join',
  );
  return rows.length;
}

/** Outcomes the seed generated past its end (the delay distribution's late tail, up to three days): they land as time moves on. */
export const PENDING_OUTCOMES = 'bench_pending_outcomes';

export async function createPendingOutcomes(store: Store): Promise<void> {
  await store.command(`CREATE TABLE IF NOT EXISTS ${PENDING_OUTCOMES} AS outcomes ENGINE = MergeTree ORDER BY outcome_time`, {}, 'bench pending outcomes');
}

/** A bench store as deployed: the source tables, driftwatch's tables before any traffic lands, and the pending outcomes' table. */
export async function prepareBenchStore(store: Store, config: Config): Promise<void> {
  await ensureTables(store, config);
  await ensureRollupTables(store, config);
  await createPendingOutcomes(store);
}

/**
 * Appends five minutes of new traffic ending at `to`: the events of the same five minutes a week earlier and
 * the outcomes that arrived then, shifted by a week under new transaction ids (inside ClickHouse); and the
 * seeded transactions' outcomes that arrive in these five minutes (late ones: the delay's tail of hours to
 * days), so a steady cycle re-folds the hours they relabel, as it would on a live source.
 */
export async function appendFiveMinutes(store: Store, to: Date): Promise<void> {
  const params = { from: chTime(to.getTime() - 7 * 86_400_000 - 300_000), to: chTime(to.getTime() - 7 * 86_400_000) };
  await store.command(
    `INSERT INTO outcomes SELECT * FROM ${PENDING_OUTCOMES}
     WHERE outcome_time >= {from:DateTime64(3, 'UTC')} + INTERVAL 7 DAY AND outcome_time < {to:DateTime64(3, 'UTC')} + INTERVAL 7 DAY`,
    params,
    'bench append late outcomes',
  );
  await store.command(
    `INSERT INTO scoring_events SELECT event_time + INTERVAL 7 DAY, concat(transaction_id, '-w'), model, model_version, variant, issuer, region,
       card_network, merchant_id, amount, currency, score, decision, latency_ms, features
     FROM scoring_events WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}`,
    params,
    'bench append events',
  );
  await store.command(
    `INSERT INTO outcomes SELECT concat(transaction_id, '-w'), outcome_time + INTERVAL 7 DAY, approved, chargeback
     FROM outcomes WHERE outcome_time >= {from:DateTime64(3, 'UTC')} AND outcome_time < {to:DateTime64(3, 'UTC')}`,
    params,
    'bench append outcomes',
  );
}
