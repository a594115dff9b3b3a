-- A shadow row in the shadow pieces (the raw pieces of the current and matured windows widened by an hour, as
-- shadow_pairs.sql reads them), if there is one. Every row shadow_compare.sql adds up is a pair, and a pair needs a
-- shadow row: with none there (and, on the rollup path, no folded shadow hour: rollup_shadow_present.sql) the
-- comparison is not asked. It is the largest question of a steady cycle, and a team without a shadow model would
-- ask it every cycle for nothing. Its filter is shadow_pairs.sql's `shadow` rows' (variant, models, pieces): keep
-- them in step, or a comparison with rows could be skipped.
SELECT 1 AS present
FROM {{events}}
WHERE variant = 'shadow'
  AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
  AND {{pieces:shadow}}
LIMIT 1
