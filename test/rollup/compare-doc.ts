// Compares two `run --json` documents (compare.ts's rules on the CLI's output): every difference listed, numbers to 1e-9.

export interface RunDoc {
  at: string;
  models: string[];
  findings: Record<string, unknown>[];
  shadow: Record<string, unknown>[];
  quality: Record<string, number>;
  approval?: unknown;
  experiments?: unknown;
  evaluated?: number;
}

/** Relative for large values, absolute near zero (compare.ts's tolerance): sums are added in another order. */
function close(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b) || a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Differences between two JSON values at any depth: numbers within `close`, everything else equal. */
function deepDiffs(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!close(a, b)) out.push(`${path}: ${a} vs ${b} (reference)`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} items vs ${b.length} (reference)`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) deepDiffs(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (x === undefined || y === undefined) out.push(`${path}.${k}: ${JSON.stringify(x)} vs ${JSON.stringify(y)} (reference)`);
      else deepDiffs(x, y, `${path}.${k}`, out);
    }
    return;
  }
  if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)} (reference)`);
}

/** A finding's identity: monitor, model, segment, feature, window and shadow version when it has them. */
export function findingKey(f: Record<string, unknown>): string {
  const parts = [f.monitor, f.model, JSON.stringify(f.segment ?? {}), f.feature, f.window, f.shadowVersion].filter((p) => p !== undefined);
  return parts.join(' ');
}

function byKey<T>(list: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of list) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

const FINDING_FIELDS = ['severity', 'threshold', 'nCurrent', 'nReference', 'value', 'pValue', 'qValue'] as const;

/**
 * Every way `actual` differs from `expected` (the reference): models, evaluation count, findings (matched by key;
 * severity, counts, threshold exact, value/p/q within 1e-9), quality counts exact, shadow verdicts with their
 * reasons and numbers, and the approval mix/rate decomposition. Empty when they agree.
 */
export function runDocDiffs(actual: RunDoc, expected: RunDoc): string[] {
  const out: string[] = [];
  deepDiffs(actual.models, expected.models, 'models', out);
  if (actual.evaluated !== expected.evaluated) out.push(`evaluated: ${actual.evaluated} vs ${expected.evaluated} (reference)`);

  const mine = byKey(actual.findings, findingKey);
  const theirs = byKey(expected.findings, findingKey);
  for (const [key, list] of theirs) if (!mine.has(key)) out.push(`finding missing: ${key} (reference ${summary(list[0])})`);
  for (const [key, list] of mine) {
    const ref = theirs.get(key);
    if (!ref) {
      out.push(`finding extra: ${key} (${summary(list[0])})`);
      continue;
    }
    // Keys may repeat (one per shadow version): pair them in order of value.
    const order = (l: Record<string, unknown>[]) => [...l].sort((x, y) => Number(x.value) - Number(y.value));
    const [a, b] = [order(list), order(ref)];
    if (a.length !== b.length) out.push(`finding ${key}: ${a.length} vs ${b.length} (reference)`);
    a.slice(0, b.length).forEach((f, i) => {
      const r = b[i] as Record<string, unknown>;
      for (const field of FINDING_FIELDS) {
        const [x, y] = [f[field], r[field]];
        if (typeof x === 'number' && typeof y === 'number' && (field === 'value' || field === 'pValue' || field === 'qValue')) {
          if (!close(x, y)) out.push(`finding ${key} ${field}: ${x} vs ${y} (reference)`);
        } else if (x !== y) out.push(`finding ${key} ${field}: ${JSON.stringify(x)} vs ${JSON.stringify(y)} (reference)`);
      }
    });
  }

  for (const k of new Set([...Object.keys(actual.quality), ...Object.keys(expected.quality)])) {
    if (actual.quality[k] !== expected.quality[k]) out.push(`quality.${k}: ${actual.quality[k]} vs ${expected.quality[k]} (reference)`);
  }

  const verdictKey = (v: Record<string, unknown>) => `${String(v.model)} ${String(v.shadowVersion)}`;
  const verdicts = byKey(actual.shadow, verdictKey);
  const refVerdicts = byKey(expected.shadow, verdictKey);
  for (const key of new Set([...verdicts.keys(), ...refVerdicts.keys()])) {
    deepDiffs(verdicts.get(key), refVerdicts.get(key), `shadow ${key}`, out);
  }
  deepDiffs(actual.approval, expected.approval, 'approval', out);
  deepDiffs(actual.experiments, expected.experiments, 'experiments', out);
  return out;
}

function summary(f: Record<string, unknown> | undefined): string {
  return f ? `${String(f.severity)} value ${String(f.value)} n ${String(f.nCurrent)}/${String(f.nReference)}` : '';
}
