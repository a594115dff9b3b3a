-- Shadow vs live per model × shadow version × segment × hour, over the pairs whose live event is in the pieces
-- the cur pieces (current window) or the mat pieces (matured window): the mergeable sums shadow_compare.sql adds
-- up. The raw source reads it over whole windows; the rollup folds it per matured hour (cur = mat = the hours)
-- and reads it over the raw pieces of its windows.
-- A pair is a live and a shadow row of the same transaction and model scored within an hour of each other
-- (the shadow rows read are the pieces widened by an hour, the shadow pieces); a duplicated row counts once per
-- hour (the pair `pick` chooses, whatever order the rows are read in). A pair is labeled by labels.sql's rule as
-- of {at} (the latest outcome of the transaction); the outcomes read are those from the matured pieces' start on
-- (the outcomes pieces). `settled` is the latest outcome
-- time of any outcome of the rows' labeled pairs, {at} or not: the fold (at the open end) records it per hour, so a
-- read as of `at` uses a folded hour only when every outcome it counted came before `at`.
-- Scores that are NaN, infinite or outside [0, 1] (either side) leave the score statistics, not the decisions.
--   flip_keys/flip_counts  current: live decision × shadow decision, key 4·live + shadow with 1 approve,
--                          2 decline, 3 review, 0 anything else
--   hist_*                 joint histogram on the fine grid, 1024 cells uniform in logit(score) over [−8, 8] (the psi
--                          grid's cells split in four, src/aggregates/grid.ts; why this fine: src/monitors/shadow/compare.ts), key 1024·live cell +
--                          shadow cell: current counts (rank correlation) and labeled positives / negatives (AUC, DeLong)
--   cal_*                  labeled pairs per calibration bin [k/B, (k+1)/B) (edges k/B as Float64: the cal_bin
--                          placeholder, src/aggregates/calibration-bins.ts): count, Σ score, Σ label, Σ (score − label)²
--   latency_*              current: every finite latency (exact quantiles merge only as the values themselves)
WITH
  live AS (
    SELECT transaction_id, model, model_version, segment, score, decision, latency_ms, event_time,
      {{pieces:cur}} AS in_cur, {{pieces:mat}} AS in_mat
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ({{pieces:cur}} OR {{pieces:mat}})
  ),
  shadow AS (
    -- shadow_present.sql asks whether a row passes this filter before the comparison is asked: keep them in step.
    SELECT transaction_id, model, model_version, score, decision, latency_ms, event_time
    FROM {{events}}
    WHERE variant = 'shadow'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{pieces:shadow}}
  ),
  known AS (
    -- labels.sql's rule: the latest outcome per transaction as of {at}, and the latest of all (for `settled`).
    SELECT transaction_id,
      argMaxIf(approved, (outcome_time, approved), outcome_time < {at:DateTime64(3, 'UTC')}) AS approved,
      maxIf(outcome_time, outcome_time < {at:DateTime64(3, 'UTC')}) AS last_outcome,
      max(outcome_time) AS any_outcome
    FROM {{outcomes}}
    WHERE {{pieces:outcomes}} AND transaction_id IN (SELECT transaction_id FROM live WHERE in_mat)
    GROUP BY transaction_id
  ),
  candidates AS (
    SELECT
      l.model AS model,
      s.model_version AS shadow_version,
      toStartOfHour(l.event_time) AS hour,
      l.transaction_id AS transaction_id,
      (l.model_version, l.segment, l.event_time, l.in_cur, l.in_mat, l.score, s.score,
        indexOf(['approve', 'decline', 'review'], l.decision), indexOf(['approve', 'decline', 'review'], s.decision),
        l.latency_ms, s.latency_ms) AS pair,
      -- which pair of a duplicated transaction counts: the earliest live row, then the earliest shadow row, then a
      -- hash of the rest (no NaN in the key, so the pick never depends on the order rows are read in)
      (l.event_time, s.event_time, cityHash64(l.model_version, l.segment, l.score, s.score, l.decision, s.decision, l.latency_ms, s.latency_ms)) AS pick
    FROM live AS l
    INNER JOIN shadow AS s ON l.transaction_id = s.transaction_id AND l.model = s.model
    WHERE s.event_time > l.event_time - toIntervalHour(1) AND s.event_time < l.event_time + toIntervalHour(1)
  ),
  pairs AS (
    SELECT
      model, shadow_version, hour, transaction_id,
      argMin(pair, pick) AS chosen,
      chosen.1 AS live_version,
      chosen.2 AS segment,
      chosen.3 AS event_time,
      chosen.4 AS in_cur,
      chosen.5 AS in_mat,
      chosen.6 AS live_score,
      chosen.7 AS shadow_score,
      chosen.8 AS live_decision,
      chosen.9 AS shadow_decision,
      chosen.10 AS live_latency,
      chosen.11 AS shadow_latency
    FROM candidates
    GROUP BY model, shadow_version, hour, transaction_id
  ),
  judged_pairs AS (
    SELECT
      p.*,
      k.transaction_id != '' AND k.last_outcome >= p.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      if(in_mat AND k.transaction_id != '' AND k.any_outcome >= p.event_time - toIntervalMillisecond({skew_ms:UInt64}), k.any_outcome, toDateTime64(0, 3, 'UTC')) AS seen,
      k.approved AS label,
      live_score >= 0 AND live_score <= 1 AND shadow_score >= 0 AND shadow_score <= 1 AS scored,
      in_mat AND has_label AND scored AS judged,
      -- Cells and bins of unscored rows are never used; 0.5 stands in so NaN never reaches an integer cast.
      if(scored, live_score, 0.5) AS live_safe,
      if(scored, shadow_score, 0.5) AS shadow_safe
    FROM pairs AS p
    LEFT JOIN known AS k ON p.transaction_id = k.transaction_id
  ),
  labeled AS (
    -- Cells and bins at a query level of their own, over the columns above: with the aliases they are built from
    -- in the same level the engine took ~0.1 s longer to plan the query (docs/architecture.md, "Reads").
    SELECT *,
      toUInt32({{fine_grid_cell:live_safe}}) * {{fine_grid_cells}} + toUInt32({{fine_grid_cell:shadow_safe}}) AS cell,
      {{cal_bin:live_safe}} AS live_bin,
      {{cal_bin:shadow_safe}} AS shadow_bin
    FROM judged_pairs
  )
SELECT
  model,
  shadow_version,
  segment,
  hour,
  groupUniqArray(live_version) AS live_versions,
  countIf(in_cur) AS n_matched,
  countIf(in_cur AND scored) AS n_scored,
  sumIf(shadow_score - live_score, in_cur AND scored) AS sum_score_delta,
  (sumMapIf([toUInt8(live_decision * 4 + shadow_decision)], [toUInt64(1)], in_cur) AS flips).1 AS flip_keys,
  flips.2 AS flip_counts,
  countIf(judged) AS n_labeled,
  countIf(judged AND label = 1) AS n_positive,
  (sumMapIf([cell], [toUInt64(in_cur)], [toUInt64(judged AND label = 1)], [toUInt64(judged AND label = 0)], scored AND (in_cur OR judged)) AS hist).1 AS hist_cells,
  hist.2 AS hist_current,
  hist.3 AS hist_positive,
  hist.4 AS hist_negative,
  (sumMapIf([live_bin], [toUInt64(1)], [live_score], [toFloat64(label)], [pow(live_score - label, 2)], judged) AS cal_live).1 AS cal_live_bins,
  cal_live.2 AS cal_live_count,
  cal_live.3 AS cal_live_score,
  cal_live.4 AS cal_live_label,
  cal_live.5 AS cal_live_sq_error,
  (sumMapIf([shadow_bin], [toUInt64(1)], [shadow_score], [toFloat64(label)], [pow(shadow_score - label, 2)], judged) AS cal_shadow).1 AS cal_shadow_bins,
  cal_shadow.2 AS cal_shadow_count,
  cal_shadow.3 AS cal_shadow_score,
  cal_shadow.4 AS cal_shadow_label,
  cal_shadow.5 AS cal_shadow_sq_error,
  groupArrayIf(toFloat64(live_latency), in_cur AND isFinite(live_latency)) AS latency_live,
  groupArrayIf(toFloat64(shadow_latency), in_cur AND isFinite(shadow_latency)) AS latency_shadow,
  toUnixTimestamp64Milli(max(seen)) AS settled
FROM labeled
GROUP BY model, shadow_version, segment, hour
