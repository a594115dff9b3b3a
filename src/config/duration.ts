// Durations in config: `<n>{s,m,h,d,w}` (s for tests and timeouts), as milliseconds.

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*([smhdw])$/;

/** Parses `24h`, `7d`, `2w`, … into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, string];
  return Number(amount) * (UNIT_MS[unit] as number);
}

/** Formats milliseconds back to the largest exact unit (`86400000` → `1d`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Milliseconds of an ISO 8601 time, or undefined. Date.parse alone rolls an impossible date over
 * (`2026-02-30` becomes 2 March); a date part must name a real day.
 */
export function isoTimeMs(text: string): number | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text.trim());
  if (date) {
    const [year, month, day] = date.slice(1).map(Number) as [number, number, number];
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  }
  return ms;
}
