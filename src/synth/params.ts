// The query parameters that carry the synthetic world (world.ts) into the generator SQL.
import type { QueryParams } from '../store/index.js';
import type { Chunk } from './calendar.js';
import { CHARGEBACKS, cumulative, HOME_SHARE, type DelayShape, issuers, logit, MODEL, NETWORKS, REGIONS, ZIPF } from './world.js';

let cached: QueryParams | undefined;

/** Parameters that do not depend on the seeding's arguments. */
export function worldParams(): QueryParams {
  if (cached) return cached;
  const list = issuers();
  const e = 1 - ZIPF.exponent;
  const lat = MODEL.latency;
  cached = {
    issuer_count: ZIPF.issuers,
    zipf_e: e,
    zipf_lo: 0.5 ** e,
    zipf_span: (ZIPF.issuers + 0.5) ** e - 0.5 ** e,
    issuer_names: list.map((i) => i.name),
    issuer_home: list.map((i) => i.home + 1),
    issuer_logit: list.map((i) => logit(i.approval)),
    home_share: HOME_SHARE,
    region_names: REGIONS.map((r) => r.name),
    region_cum: cumulative(REGIONS.map((r) => r.weight)),
    region_logit: REGIONS.map((r) => r.logit),
    region_mu: REGIONS.map((r) => r.amountMu),
    region_sigma: REGIONS.map((r) => r.amountSigma),
    region_currency: REGIONS.map((r) => r.currency),
    network_names: NETWORKS.map((n) => n.name),
    network_cum: cumulative(NETWORKS.map((n) => n.weight)),
    network_logit: NETWORKS.map((n) => n.logit),
    merchants: MODEL.merchants,
    router_share: MODEL.routerShare,
    router_offset: MODEL.router.logitOffset,
    cross_border: MODEL.crossBorderLogit,
    amount_logit: MODEL.amountLogit,
    device_logit: MODEL.deviceLogit,
    velocity_logit: MODEL.velocityLogit,
    context_sigma: MODEL.contextSigma,
    info_sigma: MODEL.infoSigma,
    info_shrink: 1 / Math.sqrt(1 + (Math.PI * MODEL.infoSigma ** 2) / 8),
    shadow_share: MODEL.card.shadowShare,
    lat_live_mu: Math.log(lat.live.p50),
    lat_live_sigma: lat.live.sigma,
    lat_shadow_mu: Math.log(lat.shadow.p50),
    lat_shadow_sigma: lat.shadow.sigma,
    lat_router_mu: Math.log(lat.router.p50),
    lat_router_sigma: lat.router.sigma,
    feature_names: [...MODEL.features],
    card_model: MODEL.card.name,
    router_model: MODEL.router.name,
    live_version: MODEL.card.live,
    treatment_version: MODEL.card.treatment,
    router_version: MODEL.router.live,
    shadow_version: MODEL.card.shadow,
    second_shadow_version: MODEL.card.secondShadow,
    live_variant: 'live',
    shadow_variant: 'shadow',
    approve_at: MODEL.decision.approve,
    review_at: MODEL.decision.review,
    approve_label: 'approve',
    review_label: 'review',
    decline_label: 'decline',
    cb_unknown: CHARGEBACKS.unknown,
    cb_rate: CHARGEBACKS.rate,
  };
  return cached;
}

/** Parameters of one chunk. */
/** The generator's outcome delay parameters for one shape of world.ts's DELAYS. */
export function delayParams(shape: DelayShape): QueryParams {
  return {
    minutes_share: shape.minutesShare,
    minutes_mean: shape.minutesMeanSeconds,
    hours_share: shape.hoursShare,
    hours_mean: shape.hoursMeanSeconds,
    hours_cap: shape.hoursCapSeconds,
    days_min: shape.daysMinSeconds,
    days_max: shape.daysMaxSeconds,
  };
}

export function chunkParams(chunk: Chunk): QueryParams {
  return { offset: chunk.offset, count: chunk.count, cum: chunk.cum, chunk_ms: chunk.startMs };
}
