// Valid rows and JSON-lines files for the ingest tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function eventRow(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_time: `2026-11-20 ${String(i % 24).padStart(2, '0')}:00:00.${String(i % 1000).padStart(3, '0')}`,
    transaction_id: `tx-${i}`,
    model: 'card-auth',
    model_version: 'v1',
    variant: i % 2 === 0 ? 'live' : 'shadow',
    issuer: `issuer-${i % 7}`,
    region: i % 3 === 0 ? 'EU' : 'US',
    card_network: 'visa',
    merchant_id: `m-${i % 100}`,
    amount: 10 + (i % 50),
    currency: 'EUR',
    score: (i % 100) / 100,
    decision: 'approve',
    latency_ms: 3.5,
    features: { velocity_1h: i % 5, amount_z: 0.25 },
    ...overrides,
  };
}

export function outcomeRow(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { transaction_id: `tx-${i}`, outcome_time: '2026-11-20T13:00:00Z', approved: i % 2, chargeback: i % 10 === 0 ? 1 : 0, ...overrides };
}

/** Writes lines (objects are JSON-encoded, strings written as they are) and returns the file's path. */
export function writeLines(dir: string, name: string, lines: readonly (string | object)[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

/** The message JSON.parse gives for a text, which differs between Node versions. */
export function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}
