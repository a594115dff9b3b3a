-- The weekly report's traffic numbers from the hourly rollup: report_traffic.sql's answer (same columns, same
-- `kind`s: hour, issuer, bin) without touching the raw tables. The caller folds the two weeks first
-- (refreshRollup with `since`) and passes the ledger's current version of every folded hour, so a re-folded
-- hour counts once. Event sums (volume, bad scores) come from every complete hour; label sums (labeled,
-- approved, calibration bins) from matured hours only, as the rollup folds them: the last hours of the week,
-- younger than the maturity delay, count for volume only. A missing outcome is a matured live event without a
-- label. Issuer and region are segment columns: {issuer_index} and {region_index} are their 1-based positions
-- in the rollup's segment array. week = 'current' for [from, to), 'previous' for [prev_from, from). `cell` rows: the
-- label rollup's per-cell approved and declined counts, and the log loss of the week in one row (cell 65535).
WITH
  ev AS (
    SELECT model, segment, hour, sum(events) AS events, sum(nan_scores + inf_scores + out_of_range) AS bad_scores
    FROM {{table:driftwatch_rollup_events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour >= {prev_from:DateTime64(3, 'UTC')} AND hour < {to:DateTime64(3, 'UTC')}
      AND (toUnixTimestamp(hour), version) IN (SELECT arrayJoin(arrayZip({event_hours:Array(UInt32)}, {event_versions:Array(UInt64)})))
    GROUP BY model, segment, hour
  ),
  lb AS (
    -- Aliases differ from the columns: ClickHouse would read `labeled` in the next line as the alias.
    SELECT model, segment, hour,
      sum(labeled) AS n_labeled,
      sum(approved) AS n_approved,
      sum(events) - sum(labeled) AS n_missing,
      sumForEach(cal_count) AS cal_n,
      sumForEach(cal_score) AS cal_s,
      sumForEach(cal_label) AS cal_l,
      sumForEach(cal_sq_error) AS cal_e,
      sumMap(perf_cells, perf_positive, perf_negative) AS perf,
      sum(log_loss) AS ll,
      sum(log_loss_sq) AS ll_sq
    FROM {{table:driftwatch_rollup_labels}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour >= {prev_from:DateTime64(3, 'UTC')} AND hour < {to:DateTime64(3, 'UTC')}
      AND (toUnixTimestamp(hour), version) IN (SELECT arrayJoin(arrayZip({label_hours:Array(UInt32)}, {label_versions:Array(UInt64)})))
    GROUP BY model, segment, hour
  ),
  hourly AS (
    SELECT
      ev.model AS model,
      if(ev.hour >= {from:DateTime64(3, 'UTC')}, 'current', 'previous') AS week,
      toString(ev.segment[{issuer_index:UInt8}]) AS issuer,
      toString(ev.segment[{region_index:UInt8}]) AS region,
      ev.hour AS hour,
      ev.events AS events,
      ev.bad_scores AS bad_scores,
      lb.n_labeled AS labeled,
      lb.n_approved AS approved,
      lb.n_missing AS missing_outcomes,
      lb.cal_n AS cal_count,
      lb.cal_s AS cal_score,
      lb.cal_l AS cal_label,
      lb.cal_e AS cal_sq_error,
      lb.perf AS perf,
      lb.ll AS log_loss,
      lb.ll_sq AS log_loss_sq
    FROM ev
    LEFT JOIN lb ON ev.model = lb.model AND ev.segment = lb.segment AND ev.hour = lb.hour
    SETTINGS join_use_nulls = 0
  )
SELECT 'hour' AS kind, model, week, region, '' AS issuer, hour, toUInt16(0) AS bin,
  sum(events) AS events, sum(labeled) AS labeled, sum(approved) AS approved, sum(bad_scores) AS bad_scores,
  sum(missing_outcomes) AS missing_outcomes, 0 AS sum_score, 0 AS sum_label, 0 AS sum_sq_error
FROM hourly
GROUP BY model, week, region, hour
UNION ALL
SELECT 'issuer', model, week, region, issuer, toDateTime('1970-01-01 00:00:00', 'UTC'), toUInt16(0),
  sum(events), sum(labeled), sum(approved), sum(bad_scores), sum(missing_outcomes), 0, 0, 0
FROM hourly
GROUP BY model, week, issuer, region
UNION ALL
SELECT 'bin', model, week, '', '', toDateTime('1970-01-01 00:00:00', 'UTC'), toUInt16(b - 1),
  0, sum(cal_count[b]), 0, 0, 0, sum(cal_score[b]), sum(cal_label[b]), sum(cal_sq_error[b])
FROM hourly
ARRAY JOIN arrayEnumerate(cal_count) AS b
GROUP BY model, week, b
UNION ALL
SELECT 'cell', model, week, '', '', toDateTime('1970-01-01 00:00:00', 'UTC'), toUInt16(c),
  0, sum(p + n), sum(p), 0, 0, 0, 0, 0
FROM hourly
ARRAY JOIN perf.1 AS c, perf.2 AS p, perf.3 AS n
GROUP BY model, week, c
UNION ALL
SELECT 'cell', model, week, '', '', toDateTime('1970-01-01 00:00:00', 'UTC'), toUInt16(65535),
  0, 0, 0, 0, 0, sum(log_loss), sum(log_loss_sq), 0
FROM hourly
GROUP BY model, week
