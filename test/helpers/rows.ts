// Small hand-made event and outcome rows for tests that need exact control over every value.
import { chTime } from '../../src/store/index.js';

/** Deterministic PRNG (mulberry32), so fixtures are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** A scoring_events row with DESIGN.md's columns. Non-finite scores are sent as strings ClickHouse parses. */
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
