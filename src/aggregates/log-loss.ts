// The log loss of one labeled event in SQL, defined once for the performance read, its strips and the label fold.

/**
 * Scores are clamped to [LOG_LOSS_EPSILON, 1 − LOG_LOSS_EPSILON] before the logarithm (scikit-learn's long-standing
 * clip), so a confident wrong score of exactly 0 or 1 costs ln(1e15) ≈ 34.5 nats rather than infinity.
 */
export const LOG_LOSS_EPSILON = 1e-15;

/** −[label·ln p + (1 − label)·ln(1 − p)] of score column `score` and 0/1 label column `label`, p clamped. */
export function logLossSql(score: string, label: string): string {
  const p = `least(greatest(${score}, ${LOG_LOSS_EPSILON}), 1 - ${LOG_LOSS_EPSILON})`;
  return `if(${label} = 1, -log(${p}), -log(1 - ${p}))`;
}

/** Expands `{{log_loss:SCORE:LABEL}}` (columns, optionally qualified: `m.score`) to logLossSql(SCORE, LABEL). */
export function expandLogLoss(text: string): string {
  const column = '[a-z_][a-z_0-9]*(?:\\.[a-z_][a-z_0-9]*)?';
  return text.replace(new RegExp(`\\{\\{log_loss:(${column}):(${column})\\}\\}`, 'g'), (_m, score: string, label: string) => logLossSql(score, label));
}
