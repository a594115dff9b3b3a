// The verdict on a shadow model (promote / hold / reject) from its comparison with live, and the reasons in plain words.
/*
 * Rules, in order (thresholds: config monitors.shadow). Every claim is a one-sided confidence bound against its
 * margin, at the critical value z of looks.ts: the verdict is taken again every cycle on a sliding window, so z
 * keeps a clean shadow's chance of a false claim at alpha per day, looks included (3.14 for alpha = 0.01 on a
 * 24 h window, where one look alone would take 2.33).
 * 1. hold    — too few matured outcomes: fewer than minLabeled labeled transactions scored by both, or fewer
 *              than minMinority of the rarer outcome. Nothing about quality can be said yet.
 * 2. reject  — any of: AUC significantly worse by more than minAucDelta (shadow − live + z·se < −minAucDelta);
 *              ECE worse by more than maxEceIncrease and more than twice the two ECEs' sampling noise (a small
 *              sample's ECE is mostly noise); p99 latency significantly over maxLatencyRatio × live's (log ratio
 *              − z·se above the log budget: a thousand rows' p99 moves by several per cent on its own).
 * 3. promote — calibration not much worse, p99 within the budget, no segment significantly worse (AUC or approvals), and
 *              either AUC significantly better by more than minAucDelta (shadow − live − z·se > +minAucDelta) or
 *              non-inferior (shadow − live − z·se > −nonInferiorityMargin) and significantly faster (p99 ratio
 *              below fasterLatencyRatio by z·se).
 * 4. hold    — otherwise. A shadow identical to live lands here: DeLong's se is 0, p = 1, nothing is worse, and
 *              nothing is gained either, so "no measurable gain" (promoting a copy changes nothing; holding it
 *              costs nothing and keeps the verdict meaning "this would help").
 * Why the AUC rules bound the difference rather than test it against 0 and compare the estimate with the margin:
 * on a whole model's day (28,000 labeled transactions, se 0.0023) the 0.005 margin is 2.2 se, inside the noise,
 * so that rule was DeLong's test alone at alpha per look, and a shadow exchangeable with live was rejected on
 * about 4 % of clean days (measured: 8 of 216 seeded days; docs/architecture.md, "Shadow verdicts").
 */
import type { Config } from '../../config/index.js';
import type { ShadowVerdictKind } from '../../core/types.js';
import type { ShadowComparison } from './compare.js';
import { formatPValue } from '../../text.js';
import { dailyCriticalValue, dailyCrossing } from './looks.js';

export type ShadowThresholds = Config['monitors']['shadow'];

/** A segment where the shadow does significantly worse than live, by enough to matter. */
export interface WorseSegment {
  segment: string[];
  /** Shadow − live AUC when the AUC is what is worse. */
  deltaAuc?: number;
  /** Approve decisions lost, in percentage points, when approvals are what is worse. */
  approvalChangePp?: number;
}

export interface Judgement {
  verdict: ShadowVerdictKind;
  reasons: string[];
}

/**
 * How often the verdict's window renews in a day (core/windows.ts renewals: 1 for 24h, 4 for 6h; 0 for fixed dates,
 * which do not slide): what its critical value pays for the day's looks.
 */
export interface Looks {
  renewals: number;
}

export function decide(c: ShadowComparison, worse: WorseSegment[], t: ShadowThresholds, looks: Looks = { renewals: 1 }): Judgement {
  const context = contextReasons(c, worse, t);
  const negatives = c.nLabeled - c.nPositive;
  if (!c.auc || c.nLabeled < t.minLabeled || Math.min(c.nPositive, negatives) < t.minMinority) {
    const why = `too few matured outcomes: ${count(c.nLabeled)} labeled transactions scored by both (need ${count(t.minLabeled)}), ` +
      `${count(c.nPositive)} approved and ${count(negatives)} declined by the issuer (need ${count(t.minMinority)} of each)`;
    return { verdict: 'hold', reasons: withContext(c, [why], context) };
  }
  const { deltaAuc, se } = c.auc;
  const eceLimit = Math.max(t.maxEceIncrease, 2 * Math.hypot(c.eceNoiseLive, c.eceNoiseShadow));
  const latencyRatio = c.latencyP99Shadow / c.latencyP99Live;
  const z = dailyCriticalValue(t.alpha, looks.renewals);
  // An unknown se (z = 0 on differing scores) proves nothing either way; se = 0 is an identical ranking, Δ = 0 exactly.
  const aucSe = Number.isFinite(se) ? se : Infinity;
  // An unknown se (too few latencies) is no evidence either way: nothing significant.
  const latencySe = Number.isFinite(c.latencyLogRatioSe) ? c.latencyLogRatioSe : Infinity;
  const logRatio = Math.log(latencyRatio);

  const failures = [
    deltaAuc + z * aucSe < -t.minAucDelta ? `AUC significantly worse: ${signed(deltaAuc)} (p=${formatP(c.auc.pValue)}; limit −${fixed(t.minAucDelta, 3)})` : '',
    c.eceShadow - c.eceLive > eceLimit ? `calibration much worse: ECE ${fixed(c.eceShadow, 3)} vs ${fixed(c.eceLive, 3)} live (limit +${fixed(eceLimit, 3)})` : '',
    logRatio - z * latencySe > Math.log(t.maxLatencyRatio) ? `latency p99 over budget: ${ratio(latencyRatio)} live's (budget ${ratio(t.maxLatencyRatio)})` : '',
  ].filter(Boolean);
  if (failures.length > 0) return { verdict: 'reject', reasons: withContext(c, failures, context) };

  const better = deltaAuc - z * aucSe > t.minAucDelta;
  const fasterAndNotWorse = deltaAuc - z * aucSe > -t.nonInferiorityMargin && logRatio + z * latencySe < Math.log(t.fasterLatencyRatio);
  const withinBudget = !(latencyRatio > t.maxLatencyRatio);
  // Every segment fine: one significantly worse on AUC or on approvals (README, "Shadow models") holds the promotion.
  if ((better || fasterAndNotWorse) && withinBudget && worse.length === 0) {
    const why = better
      ? `AUC significantly better: ${signed(deltaAuc)} (${fixed(c.auc.aucShadow, 3)} vs ${fixed(c.auc.aucLive, 3)}, p=${formatP(c.auc.pValue)}), calibration and latency within limits`
      : `as accurate (AUC ${signed(deltaAuc)}, within the ${fixed(t.nonInferiorityMargin, 3)} margin) and faster: p99 ${ratio(latencyRatio)} live's`;
    return { verdict: 'promote', reasons: withContext(c, [why], context) };
  }
  const overBudget = withinBudget ? '' : `latency p99 ${ratio(latencyRatio)} live's, over the ${ratio(t.maxLatencyRatio)} budget but not significantly yet`;
  return { verdict: 'hold', reasons: withContext(c, [overBudget || holdReason(c, better || fasterAndNotWorse, worse.length, t, looks)], context) };
}

function holdReason(c: ShadowComparison, better: boolean, worseSegments: number, t: ShadowThresholds, looks: Looks): string {
  const auc = c.auc as NonNullable<ShadowComparison['auc']>;
  if (better && worseSegments > 0) return `better overall but significantly worse in ${worseSegments} segment${worseSegments === 1 ? '' : 's'}`;
  if (auc.se === 0 && auc.deltaAuc === 0) return 'scores rank every transaction like live: no measurable gain';
  if (auc.pValue < t.alpha) {
    return `AUC difference ${signed(auc.deltaAuc)} (p=${formatP(auc.pValue)}) is not significantly beyond the ±${fixed(t.minAucDelta, 3)} that counts ` +
      `(p=${formatP(beyondMarginPValue(auc, t.minAucDelta, looks))} over a day of cycles): no measurable gain`;
  }
  return `no significant AUC difference (${signed(auc.deltaAuc)}, p=${formatP(auc.pValue)}) and not faster: no measurable gain`;
}

/**
 * The chance, per day of cycles, that a shadow whose AUC differs from live's by exactly the margin looks as far
 * beyond it as this one: dailyCrossing of the bound's z. Below alpha exactly when the AUC rule above fires.
 */
function beyondMarginPValue(auc: NonNullable<ShadowComparison['auc']>, margin: number, looks: Looks): number {
  if (!(auc.se > 0)) return 1;
  const z = (Math.abs(auc.deltaAuc) - margin) / auc.se;
  return dailyCrossing(z, looks.renewals);
}

/** The deciding reasons, then the context; the context's AUC line only when no deciding reason already gives both AUCs. */
function withContext(c: ShadowComparison, decisive: string[], context: string[]): string[] {
  const auc = c.auc ? `${fixed(c.auc.aucShadow, 3)} vs ${fixed(c.auc.aucLive, 3)}` : undefined;
  const stated = auc !== undefined && decisive.some((r) => r.includes(auc));
  return [...decisive, ...context.filter((line) => !(stated && line.startsWith('AUC ')))];
}

/** The numbers behind every verdict, shadow first, as one line each. */
function contextReasons(c: ShadowComparison, worse: WorseSegment[], t: ShadowThresholds): string[] {
  const lines: string[] = [];
  if (c.auc) {
    lines.push(`AUC ${signed(c.auc.deltaAuc)} (${fixed(c.auc.aucShadow, 3)} vs ${fixed(c.auc.aucLive, 3)}, p=${formatP(c.auc.pValue)}, ${count(c.nLabeled)} matured outcomes)`);
  }
  lines.push(`latency p99 ${fixed(c.latencyP99Shadow, 0)} ms vs ${fixed(c.latencyP99Live, 0)} ms (p50 ${fixed(c.latencyP50Shadow, 0)} vs ${fixed(c.latencyP50Live, 0)})`);
  if (Number.isFinite(c.eceShadow)) lines.push(`calibration ECE ${fixed(c.eceShadow, 3)} vs ${fixed(c.eceLive, 3)}`);
  lines.push(
    `approvals ${signed(c.expectedApprovalChangePp, 1)} pp expected (${fixed(100 * c.approvalRateShadow, 1)} % vs ${fixed(100 * c.approvalRateLive, 1)} % approve decisions; ` +
      `agreement ${fixed(100 * c.agreement, 1)} % on ${count(c.nMatched)} transactions)`,
  );
  if (worse.length > 0) lines.push(worseLine(worse, t));
  return lines;
}

const SHOWN_SEGMENTS = 5;

function worseLine(worse: WorseSegment[], t: ShadowThresholds): string {
  const shown = worse.slice(0, SHOWN_SEGMENTS).map((w) => {
    const what = [
      w.deltaAuc !== undefined ? `AUC ${signed(w.deltaAuc)}` : '',
      w.approvalChangePp !== undefined ? `approvals ${signed(w.approvalChangePp, 1)} pp` : '',
    ].filter(Boolean);
    return `${w.segment.join('/')} (${what.join(', ')})`;
  });
  const more = worse.length > SHOWN_SEGMENTS ? ` and ${worse.length - SHOWN_SEGMENTS} more` : '';
  const rule = `AUC −${fixed(t.segments.aucDrop, 3)} or approvals −${fixed(100 * t.segments.approvalDrop, 1)} pp`;
  return `${worse.length} segment${worse.length === 1 ? '' : 's'} worse (${rule} or more): ${shown.join(', ')}${more}`;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const signed = (x: number, digits = 3) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}` : 'n/a');
const ratio = (x: number) => `${fixed(x, 2)}×`;
const count = (n: number) => n.toLocaleString('en-US');
const formatP = formatPValue;
