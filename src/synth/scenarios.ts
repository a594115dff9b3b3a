// Injected incidents: which segment each scenario hits, the knobs the generator SQL reads, and how to describe them.
//
// Every scenario is active on [incidentStart, end) (default incidentStart = end − 26h: the whole label-matured current window of a cycle at `end`, at any hour of day) and touches
// card-auth only, so retry-router stays a clean control. Targets are large segments (a top-10 issuer
// in its home region) chosen by fixed rules from the seed-independent issuer table, so they are the
// same for every seed and never overlap.
//
// Strength is set for the worst hour to seed up to: with end = 12:00 UTC the incident falls on the
// quiet night hours and carries only ~27 % of a 24h window's traffic. Measured at the default volume
// (14 days, all scenarios, 24h current vs 7d reference, labels 2h matured), end = 12:00 → 20:00 UTC:
//
// - issuer-outage — the largest EU issuer (Eurobanca) in EU: P(approved) × 0.3 while scores stay as
//   before. approval_rate: 0.87 → 0.70 (0.55); calibration breaks too (scores far above outcomes).
// - score-drift — the population of one region (APAC) changes: amounts grow by one log-sd and device
//   risk rises, moving the true logit down by 1.5 (−1 was only a PSI warning at night); both models stay
//   calibrated to it. psi of score for APAC's largest segment: 0.30 (0.77); amount_z and device_risk
//   move too and approval rates fall with the population. Reported segment: APAC's largest issuer;
//   the description names the whole region.
// - miscalibration — the largest top-10 issuer whose baseline approval is below 0.85, outside the
//   regions above (Atlantic Federal in NA), gets overconfident live scores,
//   logit(score) = 2.5·logit(calibrated score); outcomes unchanged. A baseline well below 1 keeps the
//   overconfidence visible in every bin. calibration ECE: 0.004 → 0.040 (0.072), i.e. a warning at
//   night and critical by day: 2.5× cannot push a 24h ECE higher when only a quarter of it is affected.
// - ranking-decay — the largest UK issuer (Thames Mercantile) in UK: the live model loses information, its logit
//   gains noise of sd 1.5 (a stale feature, a broken join upstream); outcomes unchanged, so the approval rate stays.
//   performance AUC of the segment: 0.77 → about 0.62; the scores spread, so PSI and ECE move a little too.
// - mix-shift — LATAM (the low-approval region) gets 8× its card-auth volume for every issuer, every
//   segment's own score and approval distribution unchanged. (3× moved the overall rate by only ~1
//   point at night.) The overall approval rate falls by ~3–6 points, all of it mix, none of it rate:
//   approval_rate's decomposition. Target segment {}.
// - shadow-better — shadow v42 becomes much more informative: its logit is the Bayes posterior of
//   the approval given the true probability and a noisy reading of the realised label
//   (logit p + (2s − 1)/(2τ²), s = label + τ·N(0,1)), so it stays calibrated (ECE 0.002) while its AUC
//   rises from live's 0.77 to 0.89. Latency unchanged. For the shadow monitor: promote.
// - shadow-worse — the shadow's logit is shrunk, shifted and drowned in noise: AUC 0.64, ECE 0.09.
//   For the shadow monitor: reject. When both shadow scenarios run, v42 is the better one and a
//   second shadow, v43, scores another ~25 % of transactions (never the same ones as v42, so a
//   (variant, transaction_id) duplicate check stays clean) and is the worse one.
//   Shadow scenarios cover the whole seeded range, not only the incident hours, because the shadow
//   monitor judges a shadow over its whole window; an explicit incidentStart narrows them to it.
// - bad-rows — during the incident hours, 8 % of card-auth live rows get a NaN, +Inf, −0.2 or 1.7
//   score (2 % each) and 6 % of live rows are written twice (same transaction_id, same values): a few
//   hundred rows at test volumes, thousands at the default. Rates, not counts, are what a 24h window
//   judges: bad scores 3.0 % (4.2 %) and duplicates 2.1 % (3.0 %) of card-auth rows, above the quality
//   monitor's critical 1 %.
// - network-shift — in MEA (the one region no other scenario uses) AMEX's share of card-auth traffic rises from
//   9 % to 45 % (the other networks keep their relative weights): the categorical feature card_network's PSI for
//   MEA's segments is about 0.9 (critical; 0.89–0.97 in test/contracts), every other region keeps its mix. Target
//   segment {region}. AMEX approves a little more (logit +0.25), so the score moves slightly too.
import type { Config } from '../config/index.js';
import type { ScenarioName, ScenarioTarget } from './types.js';
import { cumulative, issuers, issuersHomeIn, MODEL, NETWORKS, REGIONS, type Issuer } from './world.js';

export const EFFECTS = {
  outageFactor: 0.3,
  driftAmountShift: 1.0,
  driftDeviceShift: 2.3,
  miscalibrationSlope: 2.5,
  mixFactor: 8,
  decayNoise: 1.5,
  betterTau: 0.8,
  worseSlope: 0.6,
  worseShift: 0.9,
  worseNoise: 1.2,
  badScoreRate: 0.08,
  duplicateRate: 0.06,
  amexShare: 0.45,
  abShare: 0.5,
  abSrmShare: 0.45,
  /** The treatment's approval logit shift: +0.36 raises card-auth's approvals by ~4 pp, −0.28 lowers them by ~4 pp. */
  abRaise: 0.36,
  abLower: 0.28,
} as const;

const OUTAGE_REGION = 'EU';
const DRIFT_REGION = 'APAC';
const MIX_REGION = 'LATAM';
const DECAY_REGION = 'UK';
const NETWORK_REGION = 'MEA';

/** The card networks' cumulative weights in the network-shift region during the incident: AMEX at `amexShare`, the rest scaled. */
function shiftedNetworkCum(): number[] {
  const amex = NETWORKS.findIndex((n) => n.name === 'AMEX');
  const rest = NETWORKS.reduce((sum, n, i) => (i === amex ? sum : sum + n.weight), 0);
  return cumulative(NETWORKS.map((n, i) => (i === amex ? EFFECTS.amexShare : (n.weight * (1 - EFFECTS.amexShare)) / rest)));
}

/** One region index, 1-based as in ClickHouse arrays. */
const regionIndex = (name: string): number => REGIONS.findIndex((r) => r.name === name) + 1;

function largestHomeIssuer(region: string): Issuer {
  const issuer = issuersHomeIn(region)[0];
  if (!issuer) throw new Error(`no issuer has its home in ${region}`);
  return issuer;
}

function miscalibrationIssuer(): Issuer {
  const taken = new Set([OUTAGE_REGION, DRIFT_REGION, MIX_REGION]);
  const issuer = issuers()
    .slice(0, 10)
    .find((i) => i.approval < 0.85 && !taken.has(REGIONS[i.home]?.name ?? ''));
  if (!issuer) throw new Error('no top-10 issuer fits the miscalibration scenario');
  return issuer;
}

/** What the generator SQL needs to know about the active scenarios. */
export interface ScenarioPlan {
  incidentMs: number;
  shadowFromMs: number;
  outage: Issuer | undefined;
  driftRegion: number;
  miscalibration: Issuer | undefined;
  decay: Issuer | undefined;
  mixRegion: number;
  /** The region whose card-network mix shifts (network-shift), 1-based; 0 = off. */
  networkRegion: number;
  /** Mode of shadow v42: 0 clean, 1 better, 2 worse; v43 (always worse) exists only when both run. */
  shadowMode: 0 | 1 | 2;
  secondShadow: boolean;
  badRows: boolean;
  /** Share of card-auth's live traffic on the treatment version (ab-*), and its approval logit shift; 0 = off. */
  abShare: number;
  abLogit: number;
}

export function planScenarios(scenarios: readonly ScenarioName[], fromMs: number, incidentMs: number, explicitStart: boolean): ScenarioPlan {
  const on = new Set(scenarios);
  const better = on.has('shadow-better');
  const worse = on.has('shadow-worse');
  return {
    incidentMs,
    shadowFromMs: explicitStart ? incidentMs : fromMs,
    outage: on.has('issuer-outage') ? largestHomeIssuer(OUTAGE_REGION) : undefined,
    driftRegion: on.has('score-drift') ? regionIndex(DRIFT_REGION) : 0,
    miscalibration: on.has('miscalibration') ? miscalibrationIssuer() : undefined,
    decay: on.has('ranking-decay') ? largestHomeIssuer(DECAY_REGION) : undefined,
    mixRegion: on.has('mix-shift') ? regionIndex(MIX_REGION) : 0,
    networkRegion: on.has('network-shift') ? regionIndex(NETWORK_REGION) : 0,
    shadowMode: better ? 1 : worse ? 2 : 0,
    secondShadow: better && worse,
    badRows: on.has('bad-rows'),
    abShare: on.has('ab-srm') ? EFFECTS.abSrmShare : on.has('ab-better') || on.has('ab-worse') ? EFFECTS.abShare : 0,
    abLogit: on.has('ab-worse') ? -EFFECTS.abLower : on.has('ab-better') || on.has('ab-srm') ? EFFECTS.abRaise : 0,
  };
}

/** The query parameters the generator SQL reads for scenarios (0 = off). */
export function scenarioParams(plan: ScenarioPlan): Record<string, number | number[]> {
  return {
    incident_ms: plan.incidentMs,
    shadow_from_ms: plan.shadowFromMs,
    outage_issuer: plan.outage?.rank ?? 0,
    outage_region: plan.outage ? plan.outage.home + 1 : 0,
    outage_factor: EFFECTS.outageFactor,
    drift_region: plan.driftRegion,
    drift_amount: EFFECTS.driftAmountShift,
    drift_device: EFFECTS.driftDeviceShift,
    miscal_issuer: plan.miscalibration?.rank ?? 0,
    miscal_region: plan.miscalibration ? plan.miscalibration.home + 1 : 0,
    miscal_slope: EFFECTS.miscalibrationSlope,
    decay_issuer: plan.decay?.rank ?? 0,
    decay_region: plan.decay ? plan.decay.home + 1 : 0,
    decay_noise: EFFECTS.decayNoise,
    mix_region: plan.mixRegion,
    mix_factor: EFFECTS.mixFactor,
    network_region: plan.networkRegion,
    network_shift_cum: shiftedNetworkCum(),
    shadow_mode: plan.shadowMode,
    second_shadow: plan.secondShadow ? 1 : 0,
    better_tau: EFFECTS.betterTau,
    worse_slope: EFFECTS.worseSlope,
    worse_shift: EFFECTS.worseShift,
    worse_noise: EFFECTS.worseNoise,
    bad_rate: plan.badRows ? EFFECTS.badScoreRate : 0,
    dup_rate: plan.badRows ? EFFECTS.duplicateRate : 0,
    ab_share: plan.abShare,
    ab_logit: plan.abLogit,
  };
}

/** A segment as the configured segment columns name it: only the issuer and region columns are set. */
export function segmentOf(config: Config, issuer: string | undefined, region: string | undefined): Record<string, string> {
  const columns = config.columns.events;
  const segment: Record<string, string> = {};
  for (const column of config.segments) {
    if (column === columns.issuer && issuer !== undefined) segment[column] = issuer;
    else if (column === columns.region && region !== undefined) segment[column] = region;
  }
  return segment;
}

export interface BadRowCounts {
  nan: number;
  infinite: number;
  outOfRange: number;
  duplicates: number;
}

/** One target per requested scenario, in SCENARIOS order of the request. */
export function describeTargets(
  config: Config,
  scenarios: readonly ScenarioName[],
  plan: ScenarioPlan,
  window: { fromMs: number; toMs: number },
  bad: BadRowCounts | undefined,
): ScenarioTarget[] {
  const model = MODEL.card.name;
  const incident = { from: new Date(plan.incidentMs), to: new Date(window.toMs) };
  const shadowWindow = { from: new Date(plan.shadowFromMs), to: new Date(window.toMs) };
  const regionName = (index: number) => REGIONS[index - 1]?.name ?? '';
  const home = (i: Issuer) => REGIONS[i.home]?.name ?? '';
  const make = (scenario: ScenarioName): ScenarioTarget => {
    switch (scenario) {
      case 'issuer-outage': {
        const i = plan.outage as Issuer;
        return { scenario, model, segment: segmentOf(config, i.name, home(i)), ...incident, description: `${i.name} in ${home(i)}: approval probability × ${EFFECTS.outageFactor} while scores stay as before` };
      }
      case 'score-drift': {
        const region = regionName(plan.driftRegion);
        const i = largestHomeIssuer(region);
        return { scenario, model, segment: segmentOf(config, i.name, region), ...incident, description: `the whole ${region} region: population shift (larger amounts, riskier devices), true and scored approval logit down by ~1.5; ${i.name} is its largest segment` };
      }
      case 'miscalibration': {
        const i = plan.miscalibration as Issuer;
        return { scenario, model, segment: segmentOf(config, i.name, home(i)), ...incident, description: `${i.name} in ${home(i)}: live scores overconfident, logit(score) = ${EFFECTS.miscalibrationSlope}·logit(calibrated score); outcomes unchanged` };
      }
      case 'ranking-decay': {
        const i = plan.decay as Issuer;
        return { scenario, model, segment: segmentOf(config, i.name, home(i)), ...incident, description: `${i.name} in ${home(i)}: the live model's logit gains noise of sd ${EFFECTS.decayNoise} (it ranks worse); outcomes unchanged, so the approval rate stays` };
      }
      case 'mix-shift':
        return { scenario, model, segment: {}, ...incident, description: `${regionName(plan.mixRegion)} traffic × ${EFFECTS.mixFactor} for every issuer; every segment's own scores and approval rate unchanged, so the overall approval rate falls by mix alone` };
      case 'shadow-better':
        return { scenario, model, segment: {}, shadowVersion: MODEL.card.shadow, ...shadowWindow, description: `shadow ${MODEL.card.shadow} reads a noisy signal of the outcome: calibrated, clearly higher AUC than live ${MODEL.card.live}, same latency, as many approvals per segment as live` };
      case 'shadow-worse': {
        const version = plan.secondShadow ? MODEL.card.secondShadow : MODEL.card.shadow;
        return { scenario, model, segment: {}, shadowVersion: version, ...shadowWindow, description: `shadow ${version} is much noisier than live ${MODEL.card.live}: lower AUC, overconfident and miscalibrated` };
      }
      case 'network-shift': {
        const region = regionName(plan.networkRegion);
        return { scenario, model, segment: segmentOf(config, undefined, region), ...incident, description: `every segment of the ${region} region: AMEX's share of card-auth traffic rises from 9 % to ${EFFECTS.amexShare * 100} % (the categorical feature card_network's mix shifts); scores move little` };
      }
      case 'ab-better':
      case 'ab-worse':
      case 'ab-srm': {
        const share = Math.round(plan.abShare * 100);
        const effect = scenario === 'ab-worse' ? 'lower' : 'raise';
        return { scenario, model, segment: {}, ...incident, description: `${share} % of card-auth's live traffic moves to version ${MODEL.card.treatment} (against ${MODEL.card.live}), whose decisions ${effect} the approval logit by ${scenario === 'ab-worse' ? EFFECTS.abLower : EFFECTS.abRaise} (about 4 pp)${scenario === 'ab-srm' ? ': a 45/55 split, against the 50/50 a config would declare' : ''}` };
      }
      case 'bad-rows': {
        const b = bad ?? { nan: 0, infinite: 0, outOfRange: 0, duplicates: 0 };
        return { scenario, model, segment: {}, ...incident, description: `live rows with bad scores: ${b.nan} NaN, ${b.infinite} +Inf, ${b.outOfRange} outside [0, 1] (−0.2 or 1.7); ${b.duplicates} duplicate transaction_ids (re-inserted live rows), spread over the incident hours` };
      }
    }
  };
  return [...new Set(scenarios)].map(make);
}
