// What makes two evaluations the same alert: monitor, model, segment, feature and shadow version — never the window.

import type { Evaluation, Segment, Severity } from './types.js';

/** The segment with its keys sorted, so `{region, issuer}` and `{issuer, region}` are one segment. */
export function sortedSegment(segment: Segment): Segment {
  return Object.fromEntries(Object.entries(segment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * monitor + model + segment + feature (+ shadow version), as JSON: unambiguous whatever characters the values
 * hold (a model or issuer name may contain any separator we could pick). Two shadows of one model are judged
 * apart, so the version is part of their key; evaluations without one keep the key they always had, so the
 * alerts already stored stay matched. The window is not: one incident seen by several windows is one alert.
 */
export function identityKey(e: Pick<Evaluation, 'monitor' | 'model' | 'segment' | 'feature' | 'shadowVersion'>): string {
  const version = e.shadowVersion !== undefined ? [e.shadowVersion] : [];
  return JSON.stringify([e.monitor, e.model, sortedSegment(e.segment), e.feature, ...version]);
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

/** How far past its threshold a value is. */
function breach(e: Pick<Evaluation, 'value' | 'threshold'>): number {
  return e.threshold === 0 ? Math.abs(e.value) : Math.abs(e.value) / Math.abs(e.threshold);
}

/**
 * Of two evaluations of one identity, the stronger: the worse severity, then the smaller q (the stronger evidence:
 * a short window's effect size is inflated by its noise, PSI's most of all), then the larger breach.
 */
export function stronger<E extends Evaluation>(a: E, b: E): E {
  const bFirst = RANK[b.severity] - RANK[a.severity] || (a.qValue ?? 1) - (b.qValue ?? 1) || breach(b) - breach(a);
  return bFirst > 0 ? b : a;
}

/** One evaluation per identity (the strongest of its windows), in first-seen order. */
export function strongestPerIdentity<E extends Evaluation>(evaluations: readonly E[]): E[] {
  const best = new Map<string, E>();
  for (const e of evaluations) {
    const key = identityKey(e);
    const seen = best.get(key);
    best.set(key, seen ? stronger(seen, e) : e);
  }
  return [...best.values()];
}
