// The minVolume rule, applied once by the read seam: a segment is judged when it is big enough (its volume per 24 h in
// the reference) and the window under test holds enough events for the test's approximation (docs/architecture.md,
// "Noticing in minutes").
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../core/types.js';
import { windowHours } from '../core/windows.js';

/**
 * Events a current window must hold for its test to be trusted, whatever the segment's size: the χ² and normal
 * approximations behind PSI's, Hosmer–Lemeshow's and the two-proportion tests want a few events per cell, and a
 * smaller window says little anyway. A short window of a segment this thin is left to the longer windows.
 */
export const WINDOW_FLOOR = 30;

/** How many events a segment needs: in the reference (minVolume per 24 h of it) and in the window judged. */
export interface VolumeRule {
  reference: number;
  current: number;
}

/**
 * The rule for a reference window: a segment is as big as its reference volume per 24 h, so a 1,700-a-day issuer
 * is judged on a 30-minute window too (by its own significance test) while a 40-a-day issuer is never judged.
 */
export function volumeRule(config: Pick<Config, 'minVolume'>, reference: TimeWindow): VolumeRule {
  const days = windowHours(reference) / 24;
  return { reference: Math.max(1, Math.ceil(config.minVolume * days)), current: Math.min(WINDOW_FLOOR, config.minVolume) };
}

/** `{min_reference:UInt64}`, `{min_current:UInt64}`: the names queries filter segment rows by. */
export function volumeParams(rule: VolumeRule): { min_reference: number; min_current: number } {
  return { min_reference: rule.reference, min_current: rule.current };
}

/** Whether a segment with these counts is judged: the rule the queries' filters apply, in Node. */
export function hasVolume(rule: VolumeRule, nReference: number, nCurrent: number): boolean {
  return nReference >= rule.reference && nCurrent >= rule.current;
}

/** A count on its own (a model's matured events, its reference rows) against minVolume. */
export function atLeastMinVolume(config: Pick<Config, 'minVolume'>, count: number): boolean {
  return count >= config.minVolume;
}
