// The reads `driftwatch advise` measures: the SQL a cold fold and a steady cycle send to the source tables, as of `at`.
import { HOUR_MS, OPEN_END_MS, OUTCOME_SKEW_MS, STRIP_MS, floorHour, orphanLookbackMs, widen, type Piece } from '../../aggregates/pieces.js';
import { shadowPairsSql } from '../../aggregates/shadow-pairs.js';
import { piecesPredicate, querySql } from '../../aggregates/sql.js';
import type { Config } from '../../config/index.js';
import { resolveWindows } from '../../core/windows.js';
import { CHUNK_ROWS, MAX_SCATTERED_HOURS, SCATTERED_ROWS } from '../../rollup/fold.js';
import { labelStripParams, scopeParams, stripPredicates } from '../../rollup/raw-reads.js';
import { hourRuns } from '../../rollup/plan.js';
import { shadowFoldedTo } from '../../rollup/refresh.js';
import { chTime, type QueryParams } from '../../store/index.js';

export type SourceKey = 'events' | 'outcomes';

/** One read driftwatch sends: its SELECT (a fold's INSERT target left off), its parameters, and the time ranges it asks of each source table. */
export interface PlannedRead {
  id: string;
  phase: 'cold' | 'steady';
  /** What it is, in words: `labels fold, first chunk (168 h from 2026-11-11 22:00)`. */
  what: string;
  /** queries/NAME.sql it runs. */
  query: string;
  sql: string;
  params: QueryParams;
  /** The time ranges it reads of each table by the mapped time column (`event_time`, `outcome_time`), as [from, to) in ms. */
  ranges: Partial<Record<SourceKey, Piece[]>>;
}

/** fold.ts's label-kind statements: up to a week of hours, about four backfill chunks of source rows. */
const LABEL_CHUNK_ROWS = SCATTERED_ROWS;
const LABEL_CHUNK_HOURS = MAX_SCATTERED_HOURS;

/** A fold statement's SELECT: its `INSERT INTO table (columns)` head left off, so EXPLAIN plans exactly what it reads. */
export function selectOfInsert(sql: string): string {
  const head = /INSERT INTO\s+[^\s(]+\s*\(/.exec(sql);
  if (!head) throw new Error('advise: a fold query without its INSERT head');
  const close = sql.indexOf(')', head.index + head[0].length);
  if (close < 0) throw new Error('advise: a fold query whose column list does not close');
  return sql.slice(close + 1).trim();
}

/** rollup/raw-reads.ts's strip predicates for a read of whole strips only: `{{pieces:slot}}` and `{{pieces:read}}`. */
const stripPieces = (column: string, strips: Piece[], params: QueryParams): Record<string, string> => stripPredicates(column, strips, [], params);

const hours = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i * HOUR_MS);
const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const floorStrip = (ms: number): number => Math.floor(ms / STRIP_MS) * STRIP_MS;

/**
 * The reads, as of `at`, with the maturity the cycle would use and the source rows per hour (sizes the cold chunks as
 * rollup/fold.ts does):
 * - cold fold: the first chunk of the events kind and of the labels kind, from the first hour the windows read;
 * - steady cycle: the labels fold of the hour that just matured (also what a late outcome's re-fold reads), the
 *   orphan-outcome fold of the hour that just ended, the shadow fold of the matured hour (when shadow is on), the
 *   score strip that just ended and the label strip that just matured (rollup_psi_raw, rollup_labels_raw).
 */
export function plannedReads(config: Config, at: Date, rowsPerHour: number): PlannedRead[] {
  const atMs = at.getTime();
  const maturity = config.windows.maturity;
  const w = resolveWindows(config, at);
  const first = floorHour(Math.min(w.reference.from.getTime(), w.current.from.getTime(), w.matured.reference.from.getTime(), w.matured.current.from.getTime()));
  const completeTo = floorHour(atMs);
  const maturedTo = floorHour(atMs - maturity);
  const perHour = Math.max(1, rowsPerHour);
  const reads: PlannedRead[] = [];

  // Cold: a whole chunk of the events kind (about CHUNK_ROWS rows, a day at most, never across midnight): the
  // longest of the first two, since the first may end at the first midnight after an hour or two.
  const eventRuns = hourRuns(hours(first, Math.max(1, (completeTo - first) / HOUR_MS)), Math.max(1, Math.min(24, Math.floor(CHUNK_ROWS / perHour))));
  const eventChunk = eventRuns.slice(0, 2).reduce((a, b) => (b.to - b.from > a.to - a.from ? b : a));
  reads.push(eventsFold(config, eventChunk, 'cold'));

  // Cold: the labels kind's first statement (a week of matured hours at most).
  const labelHours = Math.max(1, Math.min(LABEL_CHUNK_HOURS, Math.floor(LABEL_CHUNK_ROWS / perHour), (maturedTo - first) / HOUR_MS));
  reads.push(labelsFold(config, hourRuns(hours(first, labelHours)), 'cold', `labels fold, first statement (${labelHours} h from ${stamp(first)})`));

  // Steady: the hour that just matured, the hour that just ended, the strips that just ended.
  const matured = maturedTo - HOUR_MS;
  reads.push(labelsFold(config, [{ from: matured, to: maturedTo }], 'steady', `labels fold of the hour that matured (${stamp(matured)}); a late outcome's re-fold reads the same`));
  reads.push(orphansFold(config, { from: completeTo - HOUR_MS, to: completeTo }, maturity));
  // Shadow hours fold once matured and once the next hour is over (their pairs whole): refresh.ts shadowFoldedTo.
  const shadowTo = shadowFoldedTo(atMs, maturity);
  if (config.monitors.shadow.enabled) reads.push(shadowFold(config, { from: shadowTo - HOUR_MS, to: shadowTo }));
  const scoreStrip = { from: floorStrip(atMs) - STRIP_MS, to: floorStrip(atMs) };
  reads.push(scoreStripRead(config, scoreStrip));
  const labelStrip = { from: floorStrip(atMs - maturity) - STRIP_MS, to: floorStrip(atMs - maturity) };
  reads.push(labelStripRead(config, labelStrip, atMs));
  return reads;
}

function eventsFold(config: Config, chunk: Piece, phase: 'cold' | 'steady'): PlannedRead {
  const params: QueryParams = { from: chTime(chunk.from), to: chTime(chunk.to), version: 0, models: [] };
  const h = (chunk.to - chunk.from) / HOUR_MS;
  return {
    id: `${phase}.events_fold`,
    phase,
    what: `events fold, a chunk (${h} h from ${stamp(chunk.from)})`,
    query: 'rollup_fold_events',
    sql: selectOfInsert(querySql('rollup_fold_events', config)),
    params,
    ranges: { events: [chunk] },
  };
}

function labelsFold(config: Config, runs: Piece[], phase: 'cold' | 'steady', what: string): PlannedRead {
  const from = runs[0]?.from ?? 0;
  const to = runs[runs.length - 1]?.to ?? 0;
  const params: QueryParams = { from: chTime(from), to: chTime(to), version: 0, models: [], skew_ms: OUTCOME_SKEW_MS, cal_bins: config.monitors.calibration.bins };
  const sql = selectOfInsert(querySql('rollup_fold_labels', config, { chunk: piecesPredicate('event_time', runs, 'c', params) }));
  return { id: `${phase}.labels_fold`, phase, what, query: 'rollup_fold_labels', sql, params, ranges: { events: runs, outcomes: [{ from: from - OUTCOME_SKEW_MS, to: OPEN_END_MS }] } };
}

function orphansFold(config: Config, hour: Piece, maturity: number): PlannedRead {
  const lookback = orphanLookbackMs(maturity);
  const params: QueryParams = { from: chTime(hour.from), to: chTime(hour.to), version: 0, models: [], lookback_ms: lookback, at: chTime(OPEN_END_MS) };
  return {
    id: 'steady.orphans_fold',
    phase: 'steady',
    what: `orphan-outcome fold of the hour that ended (${stamp(hour.from)})`,
    query: 'rollup_fold_orphans',
    sql: selectOfInsert(querySql('rollup_fold_orphans', config)),
    params,
    // Outcomes of the hour, then every later outcome of its transactions; events from the lookback on.
    ranges: { events: [{ from: hour.from - lookback, to: hour.to }], outcomes: [{ from: hour.from, to: OPEN_END_MS }] },
  };
}

function shadowFold(config: Config, hour: Piece): PlannedRead {
  const params: QueryParams = { from: chTime(hour.from), to: chTime(hour.to), version: 0, models: [], skew_ms: OUTCOME_SKEW_MS, cal_bins: config.monitors.calibration.bins };
  const pairs = shadowPairsSql(config, [hour], [hour], OPEN_END_MS, params);
  return {
    id: 'steady.shadow_fold',
    phase: 'steady',
    what: `shadow-pairs fold of the hour whose pairs are whole and matured (${stamp(hour.from)})`,
    query: 'rollup_fold_shadow',
    sql: selectOfInsert(querySql('rollup_fold_shadow', config, { pairs })),
    params,
    ranges: { events: widen([hour], HOUR_MS, HOUR_MS), outcomes: widen([hour], OUTCOME_SKEW_MS, OPEN_END_MS) },
  };
}

function scoreStripRead(config: Config, strip: Piece): PlannedRead {
  const params: QueryParams = scopeParams({ models: [], heldOut: [] });
  return {
    id: 'steady.score_strip',
    phase: 'steady',
    what: `score strip that ended (${stamp(strip.from)}, 5 min)`,
    query: 'rollup_psi_raw',
    sql: querySql('rollup_psi_raw', config, stripPieces('event_time', [strip], params)),
    params,
    ranges: { events: [strip] },
  };
}

function labelStripRead(config: Config, strip: Piece, atMs: number): PlannedRead {
  const params = labelStripParams({ models: [], heldOut: [] }, config.monitors.calibration.bins, atMs);
  const outcomes = widen([strip], OUTCOME_SKEW_MS, OPEN_END_MS);
  const sql = querySql('rollup_labels_raw', config, { ...stripPieces('event_time', [strip], params), outcomes: piecesPredicate('outcome_time', outcomes, 'o_p', params) });
  return {
    id: 'steady.label_strip',
    phase: 'steady',
    what: `label strip that matured (${stamp(strip.from)}, 5 min)`,
    query: 'rollup_labels_raw',
    sql,
    params,
    ranges: { events: [strip], outcomes },
  };
}
