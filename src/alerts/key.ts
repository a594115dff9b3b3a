// Alert identity: the key of one alert and the group it is announced with.
import type { Evaluation, Segment } from '../core/types.js';

/** The segment with its keys sorted, so `{region, issuer}` and `{issuer, region}` are one segment. */
export function sortedSegment(segment: Segment): Segment {
  return Object.fromEntries(Object.entries(segment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * monitor + model + segment + feature (+ shadow version), as JSON: unambiguous whatever characters the values
 * hold (a model or issuer name may contain any separator we could pick). Two shadows of one model are judged
 * apart, so the version is part of their key; evaluations without one keep the key they always had, so the
 * alerts already stored stay matched.
 */
export function alertKey(e: Pick<Evaluation, 'monitor' | 'model' | 'segment' | 'feature' | 'shadowVersion'>): string {
  const version = e.shadowVersion !== undefined ? [e.shadowVersion] : [];
  return JSON.stringify([e.monitor, e.model, sortedSegment(e.segment), e.feature, ...version]);
}

/** The shadow version an alert key carries (its fifth element), if any: the key is the stored identity. */
export function keyShadowVersion(key: string): string | undefined {
  try {
    const parts = JSON.parse(key) as unknown[];
    return typeof parts[4] === 'string' ? parts[4] : undefined;
  } catch {
    return undefined;
  }
}

/** model + monitor; the monitor name never contains `/`, so the last `/` splits it back. */
export function groupKey(e: Pick<Evaluation, 'monitor' | 'model'>): string {
  return `${e.model}/${e.monitor}`;
}

/** model + shadow version, as JSON: the identity (and the thread) of one shadow's verdict messages. */
export function verdictKey(v: { model: string; shadowVersion: string }): string {
  return JSON.stringify([v.model, v.shadowVersion]);
}
