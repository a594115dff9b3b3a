-- Folds the matured event hours of the chunk pieces (in [{from}, {to})) into driftwatch_rollup_labels under {version}: labels.sql per
-- model × version × variant × segment × hour, live rows only (every reader of the table asks for live; shadow
-- pairs have their own rollup, rollup_fold_shadow.sql). labels.sql's rule with every outcome the table holds
-- (no {at}): `last_outcome` keeps the latest outcome time the fold saw per row, and the ledger keeps its maximum
-- per hour (`settled`), so a read as of `at` uses the hour only when every outcome it counted came before `at`.
-- Outcomes are looked up by the chunk's transaction ids, so the join's hash table stays the size of one chunk.
INSERT INTO {{table:driftwatch_rollup_labels}}
  (model, model_version, variant, segment, segment_key, hour, version, events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error,
   perf_cells, perf_positive, perf_negative, log_loss, log_loss_sq, decisions, latency_cells, latency_counts, last_outcome)
WITH
  chunk AS (
    SELECT transaction_id, model, model_version, variant, segment, score, decision, latency_ms, event_time
    FROM {{events}}
    WHERE {{pieces:chunk}} AND variant = 'live'
  ),
  known AS (
    SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND transaction_id IN (SELECT transaction_id FROM chunk)
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      c.model AS model,
      c.model_version AS model_version,
      c.variant AS variant,
      c.segment AS segment,
      toStartOfHour(c.event_time) AS hour,
      c.score AS score,
      k.transaction_id != '' AND k.last_outcome >= c.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      k.approved AS label,
      if(has_label, k.last_outcome, toDateTime64(0, 3, 'UTC')) AS seen,
      has_label AND c.score >= 0 AND c.score <= 1 AS calibratable,
      {{cal_bin:c.score}} AS cal_bin,
      {{grid_cell:c.score}} AS cell,
      indexOf(['approve', 'decline', 'review'], c.decision) AS decision_at,
      isFinite(c.latency_ms) AND c.latency_ms >= 0 AS timed,
      {{latency_cell:c.latency_ms}} AS latency_cell
    FROM chunk AS c
    LEFT JOIN known AS k ON c.transaction_id = k.transaction_id
  ),
  per_bin AS (
    -- labels.sql's per-bin sums; rows that cannot be calibrated go to bin {cal_bins}.
    SELECT
      model, model_version, variant, segment, hour,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(toFloat64(label), calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error,
      -- performance.sql's sums: the calibratable events per grid cell by outcome, and their log loss.
      sumMapIf([toUInt8(cell)], [toUInt64(label = 1)], [toUInt64(label != 1)], calibratable) AS bin_perf,
      sumIf({{log_loss:score:label}}, calibratable) AS bin_log_loss,
      sumIf(pow({{log_loss:score:label}}, 2), calibratable) AS bin_log_loss_sq,
      [countIf(decision_at = 1), countIf(decision_at = 2), countIf(decision_at = 3), countIf(decision_at = 0)] AS bin_decisions,
      sumMapIf([toUInt16(latency_cell)], [toUInt64(1)], timed) AS bin_latency,
      max(seen) AS bin_seen
    FROM joined
    GROUP BY model, model_version, variant, segment, hour, bin
  )
SELECT
  model, model_version, variant, segment, cityHash64(segment), hour,
  {version:UInt64},
  events,
  labeled,
  approved,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16})),
  perf.1, perf.2, perf.3, log_loss, log_loss_sq,
  decisions, latency.1, latency.2,
  last_outcome
FROM (
  SELECT
    model, model_version, variant, segment, hour,
    sum(bin_events) AS events,
    sum(bin_labeled) AS labeled,
    sum(bin_approved) AS approved,
    groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal,
    sumMap(bin_perf.1, bin_perf.2, bin_perf.3) AS perf,
    sum(bin_log_loss) AS log_loss,
    sum(bin_log_loss_sq) AS log_loss_sq,
    sumForEach(bin_decisions) AS decisions,
    sumMap(bin_latency.1, bin_latency.2) AS latency,
    max(bin_seen) AS last_outcome
  FROM per_bin
  GROUP BY model, model_version, variant, segment, hour
)
-- The outcome lookup's set of a fold's ids (millions) does not analyse the outcome table's index: src/store/client.ts, LARGE_IN_SET.
SETTINGS use_index_for_in_with_subqueries_max_values = 100000
