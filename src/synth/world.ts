// The synthetic payments world: regions, card networks, issuers and the scoring models' parameters (fixed, seed-independent).

export interface Region {
  name: string;
  /** Share of all traffic, before issuers' home bias. */
  weight: number;
  currency: string;
  /** Log-normal amount in the local currency: ln(amount) ~ N(amountMu, amountSigma²). */
  amountMu: number;
  amountSigma: number;
  /** Added to the approval logit of traffic in this region. */
  logit: number;
}

/** LATAM is the low-approval region: mix-shift moves traffic there. */
export const REGIONS: readonly Region[] = [
  { name: 'EU', weight: 0.3, currency: 'EUR', amountMu: Math.log(45), amountSigma: 0.9, logit: 0 },
  { name: 'NA', weight: 0.28, currency: 'USD', amountMu: Math.log(52), amountSigma: 1.0, logit: 0.1 },
  { name: 'LATAM', weight: 0.12, currency: 'BRL', amountMu: Math.log(120), amountSigma: 1.0, logit: -1.0 },
  { name: 'APAC', weight: 0.15, currency: 'JPY', amountMu: Math.log(5200), amountSigma: 0.95, logit: -0.1 },
  { name: 'MEA', weight: 0.06, currency: 'AED', amountMu: Math.log(150), amountSigma: 1.0, logit: -0.3 },
  { name: 'UK', weight: 0.09, currency: 'GBP', amountMu: Math.log(38), amountSigma: 0.9, logit: 0.1 },
];

export interface Network {
  name: string;
  weight: number;
  logit: number;
}

export const NETWORKS: readonly Network[] = [
  { name: 'VISA', weight: 0.55, logit: 0 },
  { name: 'MASTERCARD', weight: 0.32, logit: -0.05 },
  { name: 'AMEX', weight: 0.09, logit: 0.25 },
  { name: 'DISCOVER', weight: 0.04, logit: -0.35 },
];

/** Issuer volume is Zipf-like: the issuer of rank k gets a share ∝ k^-exponent. */
export const ZIPF = { issuers: 2000, exponent: 1.1 } as const;

/** An issuer's traffic stays in its home region this often; the rest spreads by region weight. */
export const HOME_SHARE = 0.85;

/** The largest issuers by volume, readable; the rest are ISS-0021 … ISS-2000. */
const NAMED_ISSUERS: readonly { name: string; home: string; approval: number }[] = [
  { name: 'Northbank', home: 'NA', approval: 0.92 },
  { name: 'Eurobanca', home: 'EU', approval: 0.91 },
  { name: 'Banco Sol', home: 'LATAM', approval: 0.86 },
  { name: 'Thames Mercantile', home: 'UK', approval: 0.93 },
  { name: 'Pacific Trust', home: 'APAC', approval: 0.9 },
  { name: 'Atlantic Federal', home: 'NA', approval: 0.78 },
  { name: 'Rhein Sparkasse', home: 'EU', approval: 0.92 },
  { name: 'Gulf Crescent', home: 'MEA', approval: 0.84 },
  { name: 'Sakura Card', home: 'APAC', approval: 0.89 },
  { name: 'Banco Andino', home: 'LATAM', approval: 0.74 },
  { name: 'Lakeshore Credit', home: 'NA', approval: 0.9 },
  { name: 'Nordic Spar', home: 'EU', approval: 0.94 },
  { name: 'Albion Building Society', home: 'UK', approval: 0.91 },
  { name: 'Desert Rose Bank', home: 'MEA', approval: 0.8 },
  { name: 'Harbour Bank', home: 'APAC', approval: 0.88 },
  { name: 'Prairie National', home: 'NA', approval: 0.93 },
  { name: 'Iberia Caja', home: 'EU', approval: 0.87 },
  { name: 'Pampas Credito', home: 'LATAM', approval: 0.82 },
  { name: 'Highland Mutual', home: 'UK', approval: 0.95 },
  { name: 'Savanna Bank', home: 'MEA', approval: 0.86 },
];

export interface Issuer {
  /** 1 = largest. */
  rank: number;
  name: string;
  /** Index into REGIONS. */
  home: number;
  /** Baseline approval rate of its home traffic, before transaction effects. */
  approval: number;
  /** Expected share of all traffic. */
  share: number;
}

/**
 * How the synthetic models score. `live` and `shadow` each see the shared logit M plus
 * their own private signal (N(0, infoSigma²)); the true logit is M + both signals, so each
 * model is calibrated after shrinking by `1/sqrt(1 + π·infoSigma²/8)` (the probit approximation
 * of the logistic-normal mean) and the two are exchangeable: a clean shadow is never worse.
 */
export const MODEL = {
  card: { name: 'card-auth', live: 'v41', shadow: 'v42', secondShadow: 'v43', shadowShare: 0.25, treatment: 'v44' },
  router: { name: 'retry-router', live: 'v7', logitOffset: -1.0 },
  /** Share of live transactions that belong to retry-router (≈10 % of card-auth's volume). */
  routerShare: 1 / 11,
  crossBorderLogit: -0.5,
  amountLogit: -0.35,
  deviceLogit: -0.5,
  velocityLogit: -0.2,
  contextSigma: 0.5,
  infoSigma: 0.5,
  decision: { approve: 0.5, review: 0.35 },
  latency: {
    live: { p50: 35, sigma: 0.406 },
    shadow: { p50: 38, sigma: 0.43 },
    router: { p50: 12, sigma: 0.5 },
  },
  features: ['amount_z', 'issuer_decline_7d', 'velocity_1h', 'device_risk'],
  merchants: 4000,
} as const;

/** How long outcomes take to arrive, in three parts: most (exponential), some within hours, a log-uniform tail over days. */
export interface DelayShape {
  minutesShare: number;
  minutesMeanSeconds: number;
  hoursShare: number;
  hoursMeanSeconds: number;
  hoursCapSeconds: number;
  daysMinSeconds: number;
  daysMaxSeconds: number;
}

/**
 * Outcome delays. `authorisation` (the default), as an authorisation feed has them: the issuer's answer within
 * seconds for all but a few transactions (99.93 %, exponential with a 10 s mean), a few within hours (timeouts
 * retried, batch issuers) and a thin log-uniform tail over days. Its 99.9th percentile is about 80 s, so a learned
 * maturity is 2 minutes (src/aggregates/maturity.ts) and under 0.1 % of events lack an outcome then; a chargeback
 * takes weeks, but it lives in its own column and is not what `approved` waits for. `slow`: most within minutes
 * (90 %, 2-minute mean), 8 % within hours, 2 % over days, so that at a 2 h maturity under 2 % of mature events lack
 * an outcome: many late outcomes, for the rollup's tests of outcomes that land in folded hours.
 */
export const DELAYS: Record<'authorisation' | 'slow', DelayShape> = {
  authorisation: { minutesShare: 0.9993, minutesMeanSeconds: 10, hoursShare: 0.0005, hoursMeanSeconds: 2400, hoursCapSeconds: 6 * 3600, daysMinSeconds: 3600, daysMaxSeconds: 72 * 3600 },
  slow: { minutesShare: 0.9, minutesMeanSeconds: 120, hoursShare: 0.08, hoursMeanSeconds: 2400, hoursCapSeconds: 6 * 3600, daysMinSeconds: 3600, daysMaxSeconds: 72 * 3600 },
};

/** Chargebacks: approved transactions whose chargeback status is still unknown (NULL), and the chargeback rate. */
export const CHARGEBACKS = { unknown: 0.05, rate: 0.004 } as const;

export const logit = (p: number): number => Math.log(p / (1 - p));

/** A small deterministic PRNG (mulberry32), so the issuer table is the same in every process. */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cumulative weights ending exactly at 1, for inverse-CDF picks in SQL. */
export function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  let run = 0;
  const out = weights.map((w) => (run += w / total));
  out[out.length - 1] = 1;
  return out;
}

/**
 * Zipf by inverse CDF of the continuous density t^-s on [0.5, N + 0.5], rounded to the nearest rank:
 * t^e = 0.5^e + u·((N+0.5)^e − 0.5^e) with e = 1 − s. The SQL uses the same formula.
 */
export function zipfShare(rank: number, n: number = ZIPF.issuers, s: number = ZIPF.exponent): number {
  const e = 1 - s;
  const g = (t: number) => t ** e;
  return (g(rank + 0.5) - g(rank - 0.5)) / (g(n + 0.5) - g(0.5));
}

let cached: Issuer[] | undefined;

/** The issuer universe: the same in every run (targets and dashboards stay stable across seeds). */
export function issuers(): Issuer[] {
  if (cached) return cached;
  const random = mulberry32(20261124);
  const regionCum = cumulative(REGIONS.map((r) => r.weight));
  const list: Issuer[] = [];
  for (let rank = 1; rank <= ZIPF.issuers; rank++) {
    const named = NAMED_ISSUERS[rank - 1];
    const pickRegion = random();
    const lowApproval = random() < 0.15;
    const approvalDraw = random();
    const home = named ? REGIONS.findIndex((r) => r.name === named.home) : regionCum.findIndex((c) => c > pickRegion);
    const approval = named ? named.approval : lowApproval ? 0.6 + 0.2 * approvalDraw : 0.85 + 0.1 * approvalDraw;
    list.push({
      rank,
      name: named ? named.name : `ISS-${String(rank).padStart(4, '0')}`,
      home,
      approval,
      share: zipfShare(rank),
    });
  }
  cached = list;
  return list;
}

/** The largest issuers whose home is `region`, by rank. */
export function issuersHomeIn(region: string): Issuer[] {
  const index = REGIONS.findIndex((r) => r.name === region);
  return issuers().filter((i) => i.home === index);
}
