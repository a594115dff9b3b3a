// The SQL of reads and folds: queries/NAME.sql with time-piece predicates and the grid filled in; values still travel as parameters.
import type { Config } from '../config/index.js';
import { chTime, queryText, renderSql, type QueryParams, type Store } from '../store/index.js';
import { expandCalibrationBins } from './calibration-bins.js';
import { expandFeatureBins } from './feature-bins.js';
import { expandGrid } from './grid.js';
import { expandLatencyGrid } from './latency-grid.js';
import { expandLogLoss } from './log-loss.js';
import { expandSumsDelta } from './sums-delta.js';
import { HOUR_MS, type Piece } from './pieces.js';
import type { HeldOut } from './types.js';

/**
 * `(col >= {p0_from} AND col < {p0_to}) OR …` over the pieces, `0` when there are none. Written out rather
 * than passed as arrays so the engine can prune partitions and granules by time.
 */
export function piecesPredicate(column: string, pieces: readonly Piece[], prefix: string, params: QueryParams): string {
  if (pieces.length === 0) return '0';
  return pieces
    .map((piece, i) => {
      params[`${prefix}${i}_from`] = chTime(piece.from);
      params[`${prefix}${i}_to`] = chTime(piece.to);
      return `(${column} >= {${prefix}${i}_from:DateTime64(3, 'UTC')} AND ${column} < {${prefix}${i}_to:DateTime64(3, 'UTC')})`;
    })
    .join(' OR ');
}

/**
 * queries/NAME.sql with each `{{pieces:KEY}}` replaced by `pieces[KEY]`, the grid placeholders expanded
 * (grid.ts: `{{grid_cell:COLUMN}}`, …; latency-grid.ts: `{{latency_cell:COLUMN}}`), the calibration bins (calibration-bins.ts: `{{cal_bin:COLUMN}}`) and the log loss
 * (log-loss.ts: `{{log_loss:SCORE:LABEL}}`), a feature's bin (feature-bins.ts: `{{feature_bin}}`, …), the running sums'
 * delta rule (sums-delta.ts: `{{delta_signs}}`, `{{delta_rows}}`), the versions left out (`{{held_out}}`), then the usual
 * placeholders (store/sql.ts).
 */
export function querySql(name: string, config: Config, pieces: Record<string, string> = {}): string {
  const text = queryText(name).replace(/\{\{pieces:([a-z_0-9]+)\}\}/g, (_m, key: string) => {
    const predicate = pieces[key];
    if (predicate === undefined) throw new Error(`no pieces given for {{pieces:${key}}} in ${name}.sql`);
    return `(${predicate})`;
  });
  return renderSql(expandSumsDelta(expandFeatureBins(expandLogLoss(expandCalibrationBins(expandLatencyGrid(expandGrid(text)))))).replaceAll('{{held_out}}', HELD_OUT), config);
}

/**
 * `{{held_out}}`: the row is not of a live version a drift question leaves out (an experiment's treatment,
 * monitors/experiments/; `held_models[i]` with `held_versions[i]`). Every query holding it takes `heldOutParams`.
 */
const HELD_OUT = 'NOT has(arrayZip({held_models:Array(String)}, {held_versions:Array(String)}), (model, model_version))';

/** `{{held_out}}`'s parameters: none left out unless given. */
export function heldOutParams(heldOut: readonly HeldOut[] = []): QueryParams {
  return { held_models: heldOut.map((h) => h.model), held_versions: heldOut.map((h) => h.version) };
}

export function selectQuery<T>(store: Store, config: Config, name: string, params: QueryParams, pieces: Record<string, string> = {}): Promise<T[]> {
  return store.select<T>(querySql(name, config, pieces), params, name);
}

export function commandQuery(store: Store, config: Config, name: string, params: QueryParams, pieces: Record<string, string> = {}): Promise<void> {
  return store.command(querySql(name, config, pieces), params, name);
}

/**
 * The folded hours a read may use, as `{NAME}_base` (Unix seconds of the first) and `{NAME}_versions` (the ledger's
 * version per hour from there, 0 where the hour is not to be read): a row is used when its version is the one at
 * its hour's index. An array lookup per row, cheaper than a set of (hour, version) pairs.
 */
export function foldedParams(name: string, folded: ReadonlyMap<number, { version: number }>, hours: readonly number[], params: QueryParams): void {
  const first = hours.length > 0 ? Math.min(...hours) : 0;
  const last = hours.length > 0 ? Math.max(...hours) : -HOUR_MS;
  const versions: number[] = new Array((last - first) / HOUR_MS + 1).fill(0);
  for (const h of hours) versions[(h - first) / HOUR_MS] = folded.get(h)?.version ?? 0;
  params[`${name}_base`] = first / 1000;
  params[`${name}_versions`] = versions;
}

/** A whole-second UTC time for `DateTime('UTC')` parameters (hour boundaries). */
export function chSecond(ms: number): string {
  return chTime(ms).slice(0, 19);
}
