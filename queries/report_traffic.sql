-- The weekly report's traffic numbers: one pass over two weeks of live events joined with their outcomes,
-- grouped three ways at once (GROUPING SETS read the join once), each row tagged with its `kind`:
--   hour    per model × week × region × hour: events, labeled, approved, bad scores, missing outcomes
--   issuer  per model × week × issuer × region: events, labeled, approved
--   bin     per model × week × calibration bin [k/B, (k+1)/B) (a score of 1 in the last): the bin sums of
--           labeled events with a valid score (count, Σ score, Σ label, Σ (score − label)²); bin = B holds
--           the events that cannot be calibrated and is dropped by the caller
--   cell    per model × week × score-grid cell (in `bin`) of the labeled events with a valid score: labeled, approved,
--           and their log loss in sum_score (Σ) and sum_label (Σ of squares); cell 65535 holds the rest (no loss),
--           whose counts the caller drops (report_rollup.sql puts every loss there: only the totals are read)
-- week = 'current' for [from, to), 'previous' for [prev_from, from). Issuer and region are segment columns, as in
-- report_rollup.sql: {issuer_index} and {region_index} are their 1-based positions (0 when not a segment: '').
-- Labels follow labels.sql: an event's label is the latest outcome of its transaction that arrived before {to}. Events after {matured_to} (= to − maturity) count for volume
-- only: their labels are not final yet. A bad score is NaN, ±Inf or outside [0, 1]; a missing outcome is a
-- matured event without a label.
WITH
  live AS (
    SELECT transaction_id, model, toString(segment[{issuer_index:UInt8}]) AS issuer, toString(segment[{region_index:UInt8}]) AS region, score, event_time,
      if(event_time >= {from:DateTime64(3, 'UTC')}, 'current', 'previous') AS week
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND event_time >= {prev_from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
  ),
  known AS (
    -- The latest outcome per transaction that had arrived by {to} (outcomes is a ReplacingMergeTree).
    SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {prev_from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND outcome_time < {to:DateTime64(3, 'UTC')}
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      l.model AS model,
      l.week AS week,
      l.issuer AS issuer,
      l.region AS region,
      toStartOfHour(l.event_time) AS hour,
      l.score AS score,
      l.event_time < {matured_to:DateTime64(3, 'UTC')} AS matured,
      matured AND k.transaction_id != '' AND k.last_outcome >= l.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      k.approved AS label,
      isFinite(l.score) AND l.score >= 0 AND l.score <= 1 AS valid_score,
      -- The calibration bin (edges k/B) of src/aggregates/calibration-bins.ts, calibrationBinSql('l.score') written out
      -- (from before this query went through querySql); test/stats/calibration-bins.test.ts keeps them equal.
      if(has_label AND valid_score, {{grid_cell:l.score}}, 65535) AS perf_cell,
      {{log_loss:l.score:label}} AS loss,
      if(has_label AND valid_score, toUInt16(least({cal_bins:UInt16} - 1, least({cal_bins:UInt16} - 1, floor(if(l.score >= 0 AND l.score <= 1, l.score, 0) * {cal_bins:UInt16})) + (if(l.score >= 0 AND l.score <= 1, l.score, 0) >= (least({cal_bins:UInt16} - 1, floor(if(l.score >= 0 AND l.score <= 1, l.score, 0) * {cal_bins:UInt16})) + 1) / {cal_bins:UInt16}) - (if(l.score >= 0 AND l.score <= 1, l.score, 0) < least({cal_bins:UInt16} - 1, floor(if(l.score >= 0 AND l.score <= 1, l.score, 0) * {cal_bins:UInt16})) / {cal_bins:UInt16}))), {cal_bins:UInt16}) AS cal_bin
    FROM live AS l
    LEFT JOIN known AS k ON l.transaction_id = k.transaction_id
  )
SELECT
  multiIf(grouping(hour) = 0, 'hour', grouping(issuer) = 0, 'issuer', grouping(cal_bin) = 0, 'bin', 'cell') AS kind,
  model,
  week,
  region,
  issuer,
  hour,
  toUInt16(if(grouping(perf_cell) = 0, perf_cell, cal_bin)) AS bin,
  count() AS events,
  countIf(has_label) AS labeled,
  countIf(has_label AND label = 1) AS approved,
  countIf(NOT valid_score) AS bad_scores,
  countIf(matured AND NOT has_label) AS missing_outcomes,
  if(grouping(perf_cell) = 0, sumIf(loss, has_label AND valid_score), sumIf(score, has_label AND valid_score)) AS sum_score,
  if(grouping(perf_cell) = 0, sumIf(pow(loss, 2), has_label AND valid_score), sumIf(toFloat64(label), has_label AND valid_score)) AS sum_label,
  if(grouping(perf_cell) = 0, 0, sumIf(pow(score - label, 2), has_label AND valid_score)) AS sum_sq_error
FROM joined
GROUP BY GROUPING SETS ((model, week, region, hour), (model, week, issuer, region), (model, week, cal_bin), (model, week, perf_cell))
ORDER BY kind, model, week, region, issuer, hour, bin
-- Standard GROUPING(): 0 when the column is part of the row's grouping set, whatever the server's default.
SETTINGS force_grouping_standard_compatibility = 1
