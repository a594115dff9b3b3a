// The history sink: every value of a cycle, one row each, into the ClickHouse table Grafana and the report read.
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import { StoreUnreachableError } from '../errors.js';
import type { CycleResult, Evaluation } from '../core/types.js';
import { ofLongestWindow } from '../core/windows.js';
import { MONITORS, monitorNamed } from '../monitors/registry.js';
import { withRetries } from '../retry.js';
import { chTime, tableRef, type Store } from '../store/index.js';

/**
 * One row of the history table (DDL: historyTableDdl in src/store/schema.ts).
 *
 * `metric` names what `value` is; Grafana panels select on it:
 * - monitor `psi`: `psi`, with the feature (`score` or a feature name) in `feature`;
 * - monitor `calibration`: `ece` (judged), plus `mce` and `brier` from its details;
 * - monitor `approval_rate`: `approval_delta` (judged: current − reference), plus
 *   `approval_rate_current`, `approval_rate_reference`, and `wilson_lo` / `wilson_hi`
 *   (95 % interval of the current rate) when the details have them; per model with an
 *   empty segment, `overall_<key>` for each number of `CycleResult.approval`;
 * - any other evaluation: its `feature` (the statistic's name), `feature` column empty;
 * - monitor `shadow`, per shadow version in `shadow_version`, segment empty: `agreement`,
 *   `auc_live`, `auc_shadow` (DeLong p-value in p_value when known), `latency_p50/p99_live/shadow` (ms),
 *   `ece_live/shadow`, `approval_rate_live/shadow`, `spearman`, and `verdict`:
 *   value +1 promote / 0 hold / −1 reject, the verdict's name in `feature`, reasons in `note`;
 * - monitor `quality`, model and segment empty: `rows`, `bad_scores`, `missing_outcomes`,
 *   `duplicates` (and `null_scores`, `future_events`, `orphan_outcomes` when counted);
 * - monitor `ks` (when on): `ks_distance`, with the feature (`score`) in `feature`;
 * - monitor `performance`: `auc_change` (judged: current − reference AUC) with `auc`, `auc_reference`, `brier`,
 *   `brier_reference`, and `log_loss_change` (judged) with `log_loss`, `log_loss_reference`.
 * - monitor `experiments`, per experiment, the treatment in `shadow_version` and the control in `feature`, segment
 *   empty: `experiment_lift` (treatment − control approval rate; always-valid p-value in p_value),
 *   `experiment_lift_lo` / `experiment_lift_hi` (its confidence sequence), `experiment_approval_rate_control` /
 *   `_treatment`, `experiment_srm_p_value` (with a declared split), and `experiment_verdict`: +1 ship / 0 continue /
 *   −1 rollback, the verdict and its reasons in `note`.
 * Each monitor names its own rows (`present.history` and `present.cycleHistory` in
 * src/monitors/<name>/present.ts); this list is their contract with Grafana and the report.
 * Judged rows carry threshold and severity (`ok`/`warning`/`critical`); rows derived from
 * details are not judged: threshold NaN, severity ''. Missing p/q-values are NaN.
 */
export interface HistoryRow {
  at: string;
  cycle_id: string;
  model: string;
  monitor: string;
  metric: string;
  feature: string;
  shadow_version: string;
  segment: Record<string, string>;
  value: Float;
  threshold: Float;
  severity: string;
  n_current: number;
  n_reference: number;
  p_value: Float;
  q_value: Float;
  note: string;
}

/** A Float64 as JSONEachRow takes it: JSON has no NaN or infinities, ClickHouse reads them quoted. */
type Float = number | 'nan' | 'inf' | '-inf';

/** Rows per INSERT: keeps one request's body a few MB however many segments a cycle judges. */
const CHUNK_ROWS = 50_000;

/**
 * Writes every row of the cycle. Idempotent per cycleId: each INSERT carries an
 * insert_deduplication_token derived from it (the table keeps the last 1000 tokens), so a
 * retried write, here or by the caller, lands once. Lightweight DELETE + INSERT was the
 * alternative, but it scans the whole table every cycle and is not atomic. Returns the row count.
 */
export async function writeHistory(store: Store, config: Config, result: CycleResult, cycleId: string): Promise<number> {
  const rows = historyRows(result, cycleId);
  const table = tableRef(config, config.tables.history);
  const token = createHash('sha256').update(cycleId).digest('hex');
  for (let start = 0, chunk = 0; start < rows.length; start += CHUNK_ROWS, chunk++) {
    const body = rows
      .slice(start, start + CHUNK_ROWS)
      .map((row) => JSON.stringify(row))
      .join('\n');
    // The token is hex, so it is safe as a literal; settings in the statement (not the session) leave other inserts alone.
    const sql = `INSERT INTO ${table} SETTINGS insert_deduplication_token = 'driftwatch-${token}-${chunk}' FORMAT JSONEachRow\n${body}`;
    await withRetries({ retries: config.store.retries, baseMs: 500, retryIf: retryableWrite }, () => store.command(sql, {}, 'history insert'));
  }
  return rows.length;
}

/**
 * The rows writeHistory writes, in order: every evaluation (each with the numbers its monitor writes beside
 * it), then each monitor's values from its part of the result (overall approval, shadow verdicts, quality counts).
 */
export function historyRows(result: CycleResult, cycleId: string): HistoryRow[] {
  const base = { at: chTime(result.at), cycle_id: cycleId };
  const rows: HistoryRow[] = [];
  for (const evaluation of result.evaluations) if (ofLongestWindow(evaluation, result.windows)) rows.push(...evaluationRows(base, evaluation));
  for (const monitor of MONITORS) {
    for (const value of monitor.present.cycleHistory?.(result) ?? []) rows.push(row(base, { ...value, monitor: monitor.name }));
  }
  return rows;
}

type Base = Pick<HistoryRow, 'at' | 'cycle_id'>;

function evaluationRows(base: Base, e: Evaluation): HistoryRow[] {
  const named = monitorNamed(e.monitor)?.present.history(e) ?? { metric: e.feature, feature: '', derived: [] };
  const judged = row(base, {
    model: e.model,
    monitor: e.monitor,
    metric: named.metric,
    feature: named.feature,
    shadow_version: e.shadowVersion ?? '',
    segment: Object.fromEntries(Object.entries(e.segment).map(([k, v]) => [k, String(v)])),
    value: e.value,
    threshold: e.threshold,
    severity: e.severity,
    n_current: e.nCurrent,
    n_reference: e.nReference,
    p_value: e.pValue,
    q_value: e.qValue,
  });
  const derived = named.derived.map(([metric, value]) => ({ ...judged, metric, value: float(value), threshold: float(NaN), severity: '', p_value: float(NaN), q_value: float(NaN) }));
  return [judged, ...derived];
}

interface RowFields {
  model: string;
  monitor: string;
  metric: string;
  value: unknown;
  feature?: string;
  shadow_version?: string;
  segment?: Record<string, string>;
  threshold?: number;
  severity?: string;
  n_current?: number;
  n_reference?: number;
  p_value?: number;
  q_value?: number;
  note?: string;
}

function row(base: Base, f: RowFields): HistoryRow {
  return {
    ...base,
    model: f.model,
    monitor: f.monitor,
    metric: f.metric,
    feature: f.feature ?? '',
    shadow_version: f.shadow_version ?? '',
    segment: f.segment ?? {},
    value: float(f.value),
    threshold: float(f.threshold),
    severity: f.severity ?? '',
    n_current: count(f.n_current),
    n_reference: count(f.n_reference),
    p_value: float(f.p_value),
    q_value: float(f.q_value),
    note: f.note ?? '',
  };
}

function float(value: unknown): Float {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return value;
}

function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** Retrying is safe because of the deduplication token, even when a timed-out write did land. */
function retryableWrite(error: unknown): boolean {
  // A refused connection was already retried by the store (the write never reached the server).
  const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  return error instanceof StoreUnreachableError && !refused;
}
