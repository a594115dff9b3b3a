-- shadow_present.sql on the rollup path: a folded shadow hour of the current or matured window (at its ledger
-- version, as rollup_shadow.sql reads them) holding a row, or a shadow row in the raw pieces' shadow pieces
-- (shadow_present.sql, given as the raw pieces), if there is one. The folded branch's filter is rollup_shadow.sql's
-- (models, the two windows' hours, the ledger's versions): keep them in step, or a comparison with rows could be
-- skipped.
SELECT present FROM (
  SELECT 1 AS present
  FROM {{table:driftwatch_rollup_shadow}}
  WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND ((hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')})
      OR (hour >= {mat_hour_from:DateTime('UTC')} AND hour < {mat_hour_to:DateTime('UTC')}))
    AND toUnixTimestamp(hour) >= {folded_base:UInt32}
    AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
  LIMIT 1
  UNION ALL
  SELECT present FROM {{pieces:raw}}
)
LIMIT 1
