// What the sequential tests share (approval rate, score drift): the window name of their findings, the horizon their
// p-values account for, the span they scan and how its start reads (docs/architecture.md, "Noticing in minutes").
import { STRIP_MS } from '../aggregates/pieces.js';
import type { TimeWindow } from '../core/types.js';
import type { ChangeScan } from '../stats/index.js';

/** The `window` of a sequential finding: its span is the strongest of the lookback's, named in `details.since`. */
export const SEQUENTIAL_WINDOW = 'sequential';

/**
 * Five-minute strips in 91 days. Every strip of a quarter starts spans some look will test, so a finding's p-value
 * counts them all: a segment rejected at level α has at most an α chance of one false alarm per quarter (each
 * span's mixture ratio crosses its bar with probability at most α over the quarter's starts, by Ville's inequality).
 */
export const QUARTER_STRIPS = 91 * 288;

/**
 * The span a sequential test scans: the `lookback` before `edge` floored to the five-minute grid, whatever the
 * schedule, so spans start at grid times only and a quarter holds exactly QUARTER_STRIPS starts however often it
 * is looked at. `starts` is what the scan's p-value accounts for.
 */
export function sequentialSpan(edge: Date, lookback: number): { span: TimeWindow; strips: number; starts: number } {
  const end = Math.floor(edge.getTime() / STRIP_MS) * STRIP_MS;
  const strips = lookback / STRIP_MS;
  return { span: { from: new Date(end - lookback), to: new Date(end) }, strips, starts: QUARTER_STRIPS + strips };
}

/** Where a scan's strongest span starts (ISO): `details.since`. */
export function sinceOf(span: TimeWindow, scan: ChangeScan): string {
  return new Date(span.to.getTime() - scan.strips * STRIP_MS).toISOString();
}

/** A model × segment's key in the maps the sequential tests join their reference and strip rows by. */
export const segmentKey = (model: string, segment: readonly string[]): string => JSON.stringify([model, segment]);

/** ` since 10:35 UTC` for a finding with `details.since`, for its measure's words; nothing otherwise. */
export function sinceWords(details: { since?: unknown } | undefined): string[] {
  return typeof details?.since === 'string' ? [` since ${details.since.slice(11, 16)} UTC`] : [];
}
