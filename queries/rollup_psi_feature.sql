-- Feature PSI inputs served by the rollup: psi_feature.sql's answer. Folded full hours ({folded}) from
-- driftwatch_rollup_features, the rest of each window (the ref and cur pieces) from the raw events.
WITH
  counts AS (
    SELECT
      model,
      CAST(feature, 'String') AS feature,
      CAST(any(segment), 'Array(String)') AS segment,
      sumForEach(arrayMap(n -> if(in_ref, n, 0), bins)) AS ref_bins,
      sumForEach(arrayMap(n -> if(in_cur, n, 0), bins)) AS cur_bins
    FROM (
      SELECT model, feature, segment, segment_key, bins,
        hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')} AS in_ref,
        hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')} AS in_cur
      FROM {{table:driftwatch_rollup_features}}
      WHERE (model, feature) IN (SELECT arrayJoin(arrayZip({edge_models:Array(String)}, {edge_features:Array(String)})))
        AND (in_ref OR in_cur)
        AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
    )
    GROUP BY model, feature, segment_key
    UNION ALL
    SELECT
      model,
      feature,
      segment,
      arrayMap(b -> arraySum(arrayMap((x, r) -> if(x = b, r, 0), groupArray(bin), groupArray(n_ref_bin))), range(any(n_bins))),
      arrayMap(b -> arraySum(arrayMap((x, c) -> if(x = b, c, 0), groupArray(bin), groupArray(n_cur_bin))), range(any(n_bins)))
    FROM (
      SELECT model, feature, segment, bin, n_bins, countIf(in_ref) AS n_ref_bin, countIf(in_cur) AS n_cur_bin
      FROM (
        SELECT
          model,
          segment,
          {edge_features:Array(String)}[k] AS feature,
          {edges:Array(Array(Float64))}[k] AS edges,
          {categories:Array(Array(String))}[k] AS feature_categories,
          {{feature_bin}} AS bin,
          {{feature_bin_count}} AS n_bins,
          {{pieces:ref}} AS in_ref,
          {{pieces:cur}} AS in_cur
        FROM {{events}}
        ARRAY JOIN arrayFilter(i -> {edge_models:Array(String)}[i] = model, arrayEnumerate({edge_models:Array(String)})) AS k
        WHERE variant = 'live'
          AND (in_ref OR in_cur)
          AND {{feature_present}}
      )
      GROUP BY model, feature, segment, bin, n_bins
    )
    GROUP BY model, feature, segment
  )
SELECT model, feature, segment, arraySum(ref) AS n_ref, arraySum(cur) AS n_cur, ref AS ref_bins, cur AS cur_bins
FROM (SELECT model, feature, segment, sumForEach(ref_bins) AS ref, sumForEach(cur_bins) AS cur FROM counts GROUP BY model, feature, segment)
WHERE n_ref >= {min_reference:UInt64} AND n_cur >= {min_current:UInt64}
ORDER BY model, feature, segment
