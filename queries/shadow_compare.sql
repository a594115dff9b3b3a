-- Shadow vs live inputs: per model × shadow version, over transactions scored by both (joined on
-- transaction_id), one row for the whole model (segment = [], overall = 1) and one per segment with at least
-- {min_volume} matched transactions. Two windows:
--   current (cur_*):  decisions, scores and latency of every matched transaction;
--   matured (mat_*):  matched transactions with an outcome known at {at} ("labeled"), for AUC and calibration.
-- Scores that are NaN, infinite or outside [0, 1] (either side) leave the score statistics, not the decisions.
--   flip_keys/flip_counts  current window: live decision × shadow decision, key 4·live + shadow with
--                          1 approve, 2 decline, 3 review, 0 anything else
--   hist_*                 joint histogram on a grid of 1024 cells uniform in logit(score) over [−8, 8] (the psi grid's
--                          cells split in four, so a rollup of psi cells can nest it; why this fine: src/monitors/shadow/
--                          compare.ts), key 1024·live cell + shadow cell: current-window counts (rank correlation) and
--                          labeled positives / negatives (AUC, DeLong). Sparse: only occupied cells. Segment rows
--                          carry it only when they have {seg_min_labeled} labeled rows, {seg_min_minority} of each class.
--   cal_*                  labeled rows per calibration bin [k/B, (k+1)/B): count, Σ score, Σ label, Σ (score − label)²
--   latency_*              current window: exact quantiles at 0.5, 0.98, 0.99, 0.995 (interpolated, as numpy's
--                          default) and the count; 0.98 and 0.995 give p99's standard error. Exact, not t-digest: at
--                          most a day of one shadow's rows is held, and the budget rule compares p99s that differ by
--                          a few per cent, more than t-digest's tail error would blur.
-- A duplicated row (same transaction_id twice on one side) counts once: LIMIT 1 BY keeps one pair per transaction.
WITH
  shadow AS (
    SELECT transaction_id, model, model_version, score, decision, latency_ms, event_time
    FROM {{events}}
    WHERE variant = 'shadow'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ((event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')})
        OR (event_time >= {mat_from:DateTime64(3, 'UTC')} AND event_time < {mat_to:DateTime64(3, 'UTC')}))
  ),
  known AS (
    -- The latest outcome per transaction that had arrived by {at} (outcomes is a ReplacingMergeTree). Restricting
    -- it to shadowed ids (IN the shadow rows) was measured slower: a second scan and a set cost more than they save.
    SELECT transaction_id, argMax(approved, outcome_time) AS approved
    FROM {{outcomes}}
    WHERE outcome_time >= {mat_from:DateTime64(3, 'UTC')} AND outcome_time < {at:DateTime64(3, 'UTC')}
    GROUP BY transaction_id
  ),
  pairs AS (
    SELECT
      l.model AS model,
      s.model_version AS shadow_version,
      l.model_version AS live_version,
      l.segment AS segment,
      l.transaction_id AS transaction_id,
      l.event_time >= {cur_from:DateTime64(3, 'UTC')} AND l.event_time < {cur_to:DateTime64(3, 'UTC')} AS in_cur,
      l.event_time >= {mat_from:DateTime64(3, 'UTC')} AND l.event_time < {mat_to:DateTime64(3, 'UTC')} AS in_mat,
      l.score AS live_score,
      s.score AS shadow_score,
      indexOf(['approve', 'decline', 'review'], l.decision) AS live_decision,
      indexOf(['approve', 'decline', 'review'], s.decision) AS shadow_decision,
      l.latency_ms AS live_latency,
      s.latency_ms AS shadow_latency
    FROM (
      SELECT transaction_id, model, model_version, segment, score, decision, latency_ms, event_time
      FROM {{events}}
      WHERE variant = 'live'
        AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND ((event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')})
          OR (event_time >= {mat_from:DateTime64(3, 'UTC')} AND event_time < {mat_to:DateTime64(3, 'UTC')}))
    ) AS l
    INNER JOIN shadow AS s ON l.transaction_id = s.transaction_id AND l.model = s.model
    LIMIT 1 BY model, shadow_version, transaction_id
  ),
  labeled AS (
    SELECT
      p.*,
      k.transaction_id != '' AS has_label,
      k.approved AS label,
      live_score >= 0 AND live_score <= 1 AND shadow_score >= 0 AND shadow_score <= 1 AS scored,
      in_mat AND has_label AND scored AS judged,
      -- Cells and bins of unscored rows are never used; 0.5 stands in so NaN never reaches an integer cast.
      if(scored, live_score, 0.5) AS live_safe,
      if(scored, shadow_score, 0.5) AS shadow_safe,
      toUInt32(least(1023, greatest(0, floor((log(live_safe / (1 - live_safe)) + 8) * 64)))) * 1024
        + toUInt32(least(1023, greatest(0, floor((log(shadow_safe / (1 - shadow_safe)) + 8) * 64)))) AS cell,
      toUInt16(least({cal_bins:UInt16} - 1, floor(live_safe * {cal_bins:UInt16}))) AS live_bin,
      toUInt16(least({cal_bins:UInt16} - 1, floor(shadow_safe * {cal_bins:UInt16}))) AS shadow_bin
    FROM pairs AS p
    LEFT JOIN known AS k ON p.transaction_id = k.transaction_id
  ),
  grouped AS (
    SELECT
      model,
      shadow_version,
      segment,
      grouping(segment) AS overall,
      groupUniqArray(live_version) AS live_versions,
      countIf(in_cur) AS n_matched,
      countIf(in_cur AND scored) AS n_scored,
      sumIf(shadow_score - live_score, in_cur AND scored) AS sum_score_delta,
      sumMapIf([toUInt8(live_decision * 4 + shadow_decision)], [toUInt64(1)], in_cur) AS flips,
      countIf(judged) AS n_labeled,
      countIf(judged AND label = 1) AS n_positive,
      sumMapIf([cell], [toUInt64(in_cur)], [toUInt64(judged AND label = 1)], [toUInt64(judged AND label = 0)], scored AND (in_cur OR judged)) AS hist,
      sumMapIf([live_bin], [toUInt64(1)], [live_score], [toFloat64(label)], [pow(live_score - label, 2)], judged) AS cal_live,
      sumMapIf([shadow_bin], [toUInt64(1)], [shadow_score], [toFloat64(label)], [pow(shadow_score - label, 2)], judged) AS cal_shadow,
      quantilesExactInclusiveIf(0.5, 0.98, 0.99, 0.995)(live_latency, in_cur AND isFinite(live_latency)) AS latency_live,
      quantilesExactInclusiveIf(0.5, 0.98, 0.99, 0.995)(shadow_latency, in_cur AND isFinite(shadow_latency)) AS latency_shadow,
      countIf(in_cur AND isFinite(live_latency)) AS latency_live_n,
      countIf(in_cur AND isFinite(shadow_latency)) AS latency_shadow_n
    FROM labeled
    GROUP BY GROUPING SETS ((model, shadow_version), (model, shadow_version, segment))
  )
SELECT
  model,
  shadow_version,
  if(overall = 1, [], segment) AS segment,
  overall,
  live_versions,
  n_matched,
  n_scored,
  sum_score_delta,
  flips.1 AS flip_keys,
  flips.2 AS flip_counts,
  n_labeled,
  n_positive,
  overall = 1 OR (n_labeled >= {seg_min_labeled:UInt64}
    AND least(n_positive, n_labeled - n_positive) >= {seg_min_minority:UInt64}) AS with_histogram,
  if(with_histogram, hist.1, []) AS hist_cells,
  if(with_histogram, hist.2, []) AS hist_current,
  if(with_histogram, hist.3, []) AS hist_positive,
  if(with_histogram, hist.4, []) AS hist_negative,
  cal_live.1 AS cal_live_bins,
  cal_live.2 AS cal_live_count,
  cal_live.3 AS cal_live_score,
  cal_live.4 AS cal_live_label,
  cal_live.5 AS cal_live_sq_error,
  cal_shadow.1 AS cal_shadow_bins,
  cal_shadow.2 AS cal_shadow_count,
  cal_shadow.3 AS cal_shadow_score,
  cal_shadow.4 AS cal_shadow_label,
  cal_shadow.5 AS cal_shadow_sq_error,
  latency_live,
  latency_shadow,
  latency_live_n,
  latency_shadow_n
FROM grouped
WHERE overall = 1 OR n_matched >= {min_volume:UInt64}
ORDER BY model, shadow_version, overall DESC, segment
