-- Shadow verdicts of the reported week (from, to], from the history table: per model × shadow version, the
-- latest verdict with its reasons (history keeps the verdict's name in `feature`, its reasons in `note`), how
-- many cycles gave each verdict, and the latest agreement and AUCs (DeLong p-value of the AUC difference).
SELECT
  model,
  shadow_version,
  argMaxIf(feature, at, metric = 'verdict') AS verdict,
  argMaxIf(note, at, metric = 'verdict') AS reasons,
  maxIf(at, metric = 'verdict') AS verdict_at,
  countIf(metric = 'verdict' AND feature = 'promote') AS promote_cycles,
  countIf(metric = 'verdict' AND feature = 'hold') AS hold_cycles,
  countIf(metric = 'verdict' AND feature = 'reject') AS reject_cycles,
  countIf(metric = 'agreement') > 0 AS has_agreement,
  argMaxIf(value, at, metric = 'agreement') AS agreement,
  countIf(metric = 'auc_live') > 0 AND countIf(metric = 'auc_shadow') > 0 AS has_auc,
  argMaxIf(value, at, metric = 'auc_live') AS auc_live,
  argMaxIf(value, at, metric = 'auc_shadow') AS auc_shadow,
  argMaxIf(p_value, at, metric = 'auc_shadow') AS auc_p_value
FROM {{history_table}}
WHERE monitor = 'shadow' AND at > {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
GROUP BY model, shadow_version
HAVING countIf(metric = 'verdict') > 0
ORDER BY model, shadow_version
