// Small hand-made event and outcome rows for tests that need exact control over every value.
import { chTime } from '../../src/store/index.js';
import { mulberry32 } from '../../src/synth/world.js';

/** Deterministic PRNG (mulberry32, the generator's own), so fixtures are the same on every run. */
export const rng = mulberry32;

export interface EventSpec {
  time: Date;
  id: string;
  issuer: string;
  region: string;
  score: number;
  model?: string;
  variant?: 'live' | 'shadow';
  version?: string;
  decision?: string;
  latency?: number;
  features?: Record<string, number>;
}

/** A scoring_events row with the default columns (src/store/schema.ts). Non-finite scores are sent as strings ClickHouse parses. */
export function eventRow(e: EventSpec): Record<string, unknown> {
  const score = Number.isNaN(e.score) ? 'nan' : e.score === Infinity ? 'inf' : e.score === -Infinity ? '-inf' : e.score;
  return {
    event_time: chTime(e.time),
    transaction_id: e.id,
    model: e.model ?? 'card-auth',
    model_version: e.version ?? 'v1',
    variant: e.variant ?? 'live',
    issuer: e.issuer,
    region: e.region,
    card_network: 'VISA',
    merchant_id: 'm1',
    amount: 10,
    currency: 'EUR',
    score,
    decision: e.decision ?? (e.score >= 0.5 ? 'approve' : 'decline'),
    latency_ms: e.latency ?? 30,
    features: e.features ?? {},
  };
}

export function outcomeRow(id: string, time: Date, approved: number): Record<string, unknown> {
  return { transaction_id: id, outcome_time: chTime(time), approved, chargeback: null };
}
