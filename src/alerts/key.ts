// Alert identity: the key of one alert, and of one shadow's verdict thread (incident keys: incident.ts).
import { identityKey, sortedSegment } from '../core/identity.js';

export { sortedSegment };

/** An alert's key: the evaluation's identity (core/identity.ts). */
export const alertKey = identityKey;

/** The shadow version an alert key carries (its fifth element), if any: the key is the stored identity. */
export function keyShadowVersion(key: string): string | undefined {
  try {
    const parts = JSON.parse(key) as unknown[];
    return typeof parts[4] === 'string' ? parts[4] : undefined;
  } catch {
    return undefined;
  }
}

/** model + shadow version, as JSON: the identity (and the thread) of one shadow's verdict messages. */
export function verdictKey(v: { model: string; shadowVersion: string }): string {
  return JSON.stringify([v.model, v.shadowVersion]);
}

/** An experiment's thread: a JSON array of three (a shadow's has two), so the two never meet. */
export function experimentKey(v: { model: string; control: string; treatment: string }): string {
  return JSON.stringify([v.model, v.control, v.treatment]);
}
