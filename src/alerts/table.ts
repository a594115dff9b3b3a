// Durable alert state in ClickHouse: one row per alert occurrence, replaced by version, resolved rows kept as history.
import type { Config } from '../config/index.js';
import type { Severity } from '../core/types.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import { toView } from './grouping.js';
import { keyShadowVersion } from './key.js';
import type { Alert, AlertRecord, AlertState } from './types.js';

export const ALERTS_TABLE = 'driftwatch_alerts';

/**
 * ORDER BY (key, since): a key that fires again later is a new row, so resolved occurrences stay as the
 * history the weekly report reads; within one occurrence the highest `version` wins (read with FINAL).
 */
export function alertTableDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ALERTS_TABLE)} (
  key             String,
  since           DateTime64(3, 'UTC'),
  version         UInt64,
  group_key       String,
  monitor         LowCardinality(String),
  model           LowCardinality(String),
  feature         String,
  segment         Map(String, String),
  state           Enum8('pending' = 1, 'firing' = 2, 'resolved' = 3, 'inactive' = 4),
  severity        LowCardinality(String),
  value           Float64,
  threshold       Float64,
  n_current       UInt64,
  n_reference     UInt64,
  p_value         Nullable(Float64),
  q_value         Nullable(Float64),
  details         String,
  critical_count  UInt32,
  clean_count     UInt32,
  firing_since    Nullable(DateTime64(3, 'UTC')),
  resolved_at     Nullable(DateTime64(3, 'UTC')),
  resolve_reason  String,
  last_evaluated  DateTime64(3, 'UTC'),
  notified        UInt8,
  last_notified   Nullable(DateTime64(3, 'UTC')),
  group_episode   Nullable(DateTime64(3, 'UTC')),
  silenced        UInt8,
  updated         DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (key, since)`;
}

/** Creates the alert table if missing; safe on every start. */
export async function ensureAlertTables(store: Store, config: Config): Promise<void> {
  await store.command(alertTableDdl(config), {}, 'alerts schema');
}

interface AlertRow {
  key: string;
  since: string;
  version: number;
  group_key: string;
  monitor: string;
  model: string;
  feature: string;
  segment: Record<string, string>;
  state: string;
  severity: string;
  value: number | string;
  threshold: number | string;
  n_current: number;
  n_reference: number;
  p_value: number | string | null;
  q_value: number | string | null;
  details: string;
  critical_count: number;
  clean_count: number;
  firing_since: string | null;
  resolved_at: string | null;
  resolve_reason: string;
  last_evaluated: string;
  notified: number;
  last_notified: string | null;
  group_episode: string | null;
  silenced: number;
  updated: string;
}

/** ClickHouse's DateTime64 text is UTC without a zone marker. */
function parseTime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

const optTime = (d: Date | undefined) => (d ? chTime(d) : null);
const optDate = (text: string | null) => (text ? parseTime(text) : undefined);

/** Non-finite numbers do not survive JSON: they travel as text both ways (`NaN`/`Infinity` in, `nan`/`inf` out). */
const float = (n: number) => (Number.isFinite(n) ? n : String(n));
const NON_FINITE: Record<string, number> = { nan: Number.NaN, '-nan': Number.NaN, inf: Number.POSITIVE_INFINITY, '+inf': Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY };
const readFloat = (x: number | string): number => (typeof x === 'number' ? x : (NON_FINITE[x.toLowerCase()] ?? Number(x)));
/** Appended to reads so NaN and ±Inf come back as text instead of null. */
const KEEP_NON_FINITE = 'SETTINGS output_format_json_quote_denormals = 1';

export function toRow(alert: Alert, version: number, now: Date): Record<string, unknown> {
  return {
    key: alert.key,
    since: chTime(alert.since),
    version,
    group_key: alert.groupKey,
    monitor: alert.monitor,
    model: alert.model,
    feature: alert.feature,
    segment: alert.segment,
    state: alert.state,
    severity: alert.severity,
    value: float(alert.value),
    threshold: float(alert.threshold),
    n_current: Math.max(0, Math.round(alert.nCurrent)),
    n_reference: Math.max(0, Math.round(alert.nReference)),
    p_value: alert.pValue === undefined ? null : float(alert.pValue),
    q_value: alert.qValue === undefined ? null : float(alert.qValue),
    details: alert.details ? JSON.stringify(alert.details) : '',
    critical_count: alert.criticalCount,
    clean_count: alert.cleanCount,
    firing_since: optTime(alert.firingSince),
    resolved_at: optTime(alert.resolvedAt),
    resolve_reason: alert.resolveReason ?? '',
    last_evaluated: chTime(alert.lastEvaluated),
    notified: alert.notified ? 1 : 0,
    last_notified: optTime(alert.lastNotified),
    group_episode: optTime(alert.groupEpisode),
    silenced: alert.silenced ? 1 : 0,
    updated: chTime(now),
  };
}

function fromRow(row: AlertRow): Alert {
  const alert: Alert = {
    key: row.key,
    groupKey: row.group_key,
    monitor: row.monitor,
    model: row.model,
    segment: row.segment,
    feature: row.feature,
    state: row.state as AlertState,
    severity: row.severity as Severity,
    value: readFloat(row.value),
    threshold: readFloat(row.threshold),
    nCurrent: row.n_current,
    nReference: row.n_reference,
    criticalCount: row.critical_count,
    cleanCount: row.clean_count,
    since: parseTime(row.since),
    firingSince: optDate(row.firing_since),
    resolvedAt: optDate(row.resolved_at),
    resolveReason: row.resolve_reason || undefined,
    lastEvaluated: parseTime(row.last_evaluated),
    notified: row.notified === 1,
    lastNotified: optDate(row.last_notified),
    groupEpisode: optDate(row.group_episode),
    silenced: row.silenced === 1,
  };
  if (row.p_value !== null) alert.pValue = readFloat(row.p_value);
  if (row.q_value !== null) alert.qValue = readFloat(row.q_value);
  if (row.details) alert.details = JSON.parse(row.details) as object;
  const shadowVersion = keyShadowVersion(row.key);
  if (shadowVersion !== undefined) alert.shadowVersion = shadowVersion;
  return alert;
}

export async function saveAlerts(store: Store, config: Config, alerts: readonly Alert[], version: number, now: Date): Promise<void> {
  await store.insert(tableRef(config, ALERTS_TABLE), alerts.map((a) => toRow(a, version, now)), 'save alerts');
}

/** The pending and firing alerts, newest occurrence per key, and the highest version written so far. */
export async function loadActiveAlerts(store: Store, config: Config): Promise<{ alerts: Alert[]; version: number }> {
  const table = tableRef(config, ALERTS_TABLE);
  const rows = await store.select<AlertRow>(
    `SELECT * FROM ${table} FINAL WHERE state IN ('pending', 'firing') ORDER BY key, since ${KEEP_NON_FINITE}`,
    {},
    'load alerts',
  );
  const [max] = await store.select<{ v: number }>(`SELECT max(version) AS v FROM ${table}`, {}, 'alerts version');
  const latest = new Map<string, Alert>();
  for (const row of rows) latest.set(row.key, fromRow(row));
  return { alerts: [...latest.values()], version: max?.v ?? 0 };
}

/** Every alert that was firing at some time in `[from, to)`, with when it fired and for how long. */
export async function alertHistory(store: Store, config: Config, range: { from: Date; to: Date }): Promise<AlertRecord[]> {
  const rows = await store.select<AlertRow>(
    `SELECT * FROM ${tableRef(config, ALERTS_TABLE)} FINAL
     WHERE firing_since IS NOT NULL AND firing_since < {to:DateTime64(3, 'UTC')}
       AND (resolved_at IS NULL OR resolved_at >= {from:DateTime64(3, 'UTC')})
     ORDER BY firing_since, key ${KEEP_NON_FINITE}`,
    { from: chTime(range.from), to: chTime(range.to) },
    'alert history',
  );
  return rows.map(fromRow).map((alert) => {
    const from = alert.firingSince as Date;
    const to = alert.resolvedAt ?? null;
    const episode = alert.groupEpisode ? { groupEpisode: alert.groupEpisode } : {};
    return { ...toView(alert), groupKey: alert.groupKey, ...episode, from, to, durationMs: Math.max(0, (to ?? range.to).getTime() - from.getTime()) };
  });
}
