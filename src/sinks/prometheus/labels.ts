// Prometheus label names for segment columns, and label values that cannot break the exposition format.
import { createHash } from 'node:crypto';

/**
 * Labels the segment metrics already carry, the ones a Prometheus server attaches to every scraped series, and
 * the ones the shipped rules set on their alerts (`severity`, `alertname`: a rule's label would overwrite the segment's).
 */
const TAKEN = new Set(['model', 'feature', 'window', 'monitor', 'shadow_version', 'job', 'instance', 'severity', 'alertname']);

/** Longest label value kept as is, in code points; longer ones are cut and suffixed with a hash. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * Label names for the configured segment columns, in order. A column whose name is
 * taken by a fixed label (`model`, `feature`, `window`, and driftwatch_finding_severity's `monitor` and
 * `shadow_version`), by the scraper (`job`, `instance`), by the alert rules (`severity`, `alertname`), or
 * reserved by Prometheus (`__…`) is exposed as `segment_<name>`,
 * so `segments: [model, region]` gives `{model, segment_model, region}`.
 */
export function segmentLabelNames(segments: readonly string[]): string[] {
  const used = new Set(TAKEN);
  return segments.map((column) => {
    let name = column;
    while (used.has(name) || name.startsWith('__')) name = `segment_${name}`;
    used.add(name);
    return name;
  });
}

// Control characters (C0, DEL, C1), UTF-16 halves without their other half (not encodable as UTF-8; in a /u
// regex \p{Cs} only matches unpaired halves, since a pair is read as one code point), and the bidi marks,
// overrides and isolates that would make a legend in Grafana show one issuer's name as another's.
const UNSAFE = /[\p{Cc}\p{Cs}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * A label value safe to expose and still telling values apart. prom-client escapes
 * `\`, `"` and newline itself; control characters and bidi controls are replaced by U+FFFD (they make
 * dashboards and some parsers unhappy), and values longer than 128 code points are cut.
 * Whenever a value is changed it ends with `~` and 8 hex digits of the original's
 * SHA-256, so two different originals never end up as one series.
 */
export function labelValue(raw: string): string {
  const clean = raw.replace(UNSAFE, '\uFFFD');
  const points = Array.from(clean);
  if (clean === raw && points.length <= MAX_LABEL_VALUE_LENGTH) return raw;
  const hash = createHash('sha256').update(Buffer.from(raw, 'utf16le')).digest('hex').slice(0, 8);
  return `${points.slice(0, MAX_LABEL_VALUE_LENGTH - 9).join('')}~${hash}`;
}
