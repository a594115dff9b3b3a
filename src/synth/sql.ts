// The generator as SQL: one INSERT … SELECT … FROM numbers_mt() per chunk (a day) for events and one for outcomes.
//
// Every random quantity is a deterministic hash of (seed, draw number, replica, hour, tag) turned into
// a uniform in (0, 1) — normals by Box–Muller, never rand() — so the same arguments always give the
// same rows (in any order: numbers_mt spreads the draws over threads), and the events and outcomes
// queries, which both read `transactionsSql()`, agree on every transaction.
import type { Config } from '../config/index.js';
import { quoteIdentifier as q } from '../config/index.js';
import { seededColumns, sourceRef } from '../store/index.js';

/** A uniform in (0, 1) from 53 bits of cityHash64(key, tag); `tag` is a literal distinguishing the draws. */
const u = (key: string, tag: number): string => `((bitShiftRight(cityHash64(${key}, ${tag}), 11) + 0.5) / 9007199254740992)`;

/** A standard normal (Box–Muller) from the uniforms `tag` and `tag + 1000`. */
const z = (key: string, tag: number): string => `(sqrt(-2 * log(${u(key, tag)})) * cos(2 * pi() * ${u(key, tag + 1000)}))`;

const sigmoid = (x: string): string => `(1 / (1 + exp(-(${x}))))`;

/** Draws of one chunk: which hour, issuer, region and model each live transaction gets; mix-shift replicas. */
const DRAWS = `
SELECT
  number AS n,
  arrayFirstIndex(c -> c > number - {offset:UInt64}, {cum:Array(UInt64)}) AS slot,
  {chunk_ms:Int64} + toInt64(slot - 1) * 3600000 AS slot_ms,
  cityHash64({seed:UInt64}, number) AS k0,
  toUInt32(least({issuer_count:UInt32}, greatest(1, floor(pow({zipf_lo:Float64} + ${u('k0', 1)} * {zipf_span:Float64}, 1 / {zipf_e:Float64}) + 0.5)))) AS issuer_rank,
  {issuer_home:Array(UInt8)}[issuer_rank] AS home_region,
  if(${u('k0', 2)} < {home_share:Float64}, home_region, toUInt8(arrayFirstIndex(c -> c > ${u('k0', 3)}, {region_cum:Array(Float64)}))) AS region,
  ${u('k0', 4)} >= {router_share:Float64} AS is_card,
  if(is_card AND region = {mix_region:UInt8} AND slot_ms + 3600000 > {incident_ms:Int64}, {mix_factor:UInt8}, 1) AS copies
FROM (SELECT {offset:UInt64} + number AS number FROM numbers_mt({count:UInt64}))`;

/**
 * One row per transaction (after replicas) with everything both tables need. The model's view is
 * the logit `m` (issuer, region, network, features, context); live and shadow each add a private
 * signal, the truth adds both (see MODEL in world.ts). Scenario knobs are 0 when off.
 */
export function transactionsSql(): string {
  return `
SELECT
  n, rep, issuer_rank, region, is_card,
  cityHash64(k0, rep, slot_ms) AS k,
  -- 16 random-looking hex digits, then the draw and replica: unique within a seeding by construction.
  concat(lower(hex(k)), lower(hex(toUInt32(n * 8 + rep)))) AS tx_id,
  slot_ms + toInt64(floor(${u('k', 1)} * 3600000)) AS t_ms,
  is_card AND t_ms >= {incident_ms:Int64} AS card_active,
  {issuer_logit:Array(Float64)}[issuer_rank] + {region_logit:Array(Float64)}[region]
    + if(region != home_region, {cross_border:Float64}, 0) AS base_logit,
  -- network-shift: another mix in one region during the incident; the same uniform, so other seeds' rows do not change.
  toUInt8(arrayFirstIndex(c -> c > ${u('k', 2)}, if(card_active AND region = {network_region:UInt8}, {network_shift_cum:Array(Float64)}, {network_cum:Array(Float64)}))) AS network,
  concat('M', leftPad(toString(toUInt32(floor(pow(${u('k', 3)}, 2) * {merchants:UInt32})) + 1), 5, '0')) AS merchant,
  card_active AND region = {drift_region:UInt8} AS drifted,
  ${z('k', 4)} + if(drifted, {drift_amount:Float64}, 0) AS z_amt,
  ${z('k', 5)} + if(drifted, {drift_device:Float64}, 0) AS z_dev,
  ${z('k', 6)} AS z_vel,
  base_logit + {network_logit:Array(Float64)}[network] + {amount_logit:Float64} * z_amt + {device_logit:Float64} * z_dev
    + {velocity_logit:Float64} * z_vel + {context_sigma:Float64} * ${z('k', 7)} + if(is_card, 0, {router_offset:Float64}) AS m,
  {info_sigma:Float64} * ${z('k', 8)} AS info_live,
  {info_sigma:Float64} * ${z('k', 9)} AS info_shadow,
  ${sigmoid('m + info_live + info_shadow')} AS p_true,
  if(card_active AND issuer_rank = {outage_issuer:UInt32} AND region = {outage_region:UInt8}, {outage_factor:Float64} * p_true, p_true) AS p_out,
  -- ab-*: a share of card-auth's live traffic moves to the treatment version, whose decisions move the approval logit.
  card_active AND ${u('k', 24)} < {ab_share:Float64} AS treated,
  if(treated, ${sigmoid('log(p_out / (1 - p_out)) + {ab_logit:Float64}')}, p_out) AS p_eff,
  ${u('k', 10)} < p_eff AS approved,
  {info_shrink:Float64} * (m + info_live) AS live_logit,
  if(card_active AND issuer_rank = {miscal_issuer:UInt32} AND region = {miscal_region:UInt8}, {miscal_slope:Float64}, 1) * live_logit
    + if(card_active AND issuer_rank = {decay_issuer:UInt32} AND region = {decay_region:UInt8}, {decay_noise:Float64} * ${z('k', 23)}, 0)
    + if(treated, {ab_logit:Float64}, 0) AS served_logit,
  if(card_active, ${u('k', 11)}, 1) AS u_bad,
  multiIf(u_bad >= {bad_rate:Float64}, ${sigmoid('served_logit')},
    u_bad < {bad_rate:Float64} * 0.25, nan, u_bad < {bad_rate:Float64} * 0.5, inf, u_bad < {bad_rate:Float64} * 0.75, -0.2, 1.7) AS live_score,
  card_active AND ${u('k', 12)} < {dup_rate:Float64} AS duplicated,
  ${u('k', 13)} AS u_shadow,
  is_card AND u_shadow < {shadow_share:Float64} AS shadowed,
  is_card AND {second_shadow:UInt8} = 1 AND u_shadow >= {shadow_share:Float64} AND u_shadow < 2 * {shadow_share:Float64} AS second_shadowed,
  t_ms >= {shadow_from_ms:Int64} AS shadow_active,
  {info_shrink:Float64} * (m + info_shadow) AS shadow_logit,
  log(p_eff / (1 - p_eff)) + (2 * (approved + {better_tau:Float64} * ${z('k', 14)}) - 1) / (2 * pow({better_tau:Float64}, 2)) AS better_logit,
  {worse_slope:Float64} * shadow_logit + {worse_shift:Float64} + {worse_noise:Float64} * ${z('k', 15)} AS worse_logit,
  ${sigmoid('multiIf(shadow_active AND {shadow_mode:UInt8} = 1, better_logit, shadow_active AND {shadow_mode:UInt8} = 2, worse_logit, shadow_logit)')} AS shadow_score,
  ${sigmoid('if(shadow_active, worse_logit, shadow_logit)')} AS second_score,
  exp(if(is_card, {lat_live_mu:Float64}, {lat_router_mu:Float64}) + if(is_card, {lat_live_sigma:Float64}, {lat_router_sigma:Float64}) * ${z('k', 16)}) AS live_latency,
  exp({lat_shadow_mu:Float64} + {lat_shadow_sigma:Float64} * ${z('k', 17)}) AS shadow_latency,
  exp({lat_shadow_mu:Float64} + {lat_shadow_sigma:Float64} * ${z('k', 18)}) AS second_latency,
  round(exp({region_mu:Array(Float64)}[region] + {region_sigma:Array(Float64)}[region] * z_amt), 2) AS amount,
  mapFromArrays({feature_names:Array(String)}, [
    round(z_amt, 4),
    round(greatest(0, least(1, 1 - ${sigmoid('base_logit')} + 0.01 * ${z('k', 19)})), 4),
    floor(exp(0.5 + 0.6 * z_vel)),
    round(${sigmoid('z_dev - 1.5')}, 4)
  ]) AS features,
  ${u('k', 20)} AS u_bucket,
  ${u('k', 21)} AS u_delay,
  multiIf(
    u_bucket < {minutes_share:Float64}, -{minutes_mean:Float64} * log(u_delay),
    u_bucket < {minutes_share:Float64} + {hours_share:Float64}, least({hours_cap:Float64}, -{hours_mean:Float64} * log(u_delay)),
    exp(log({days_min:Float64}) + u_delay * (log({days_max:Float64}) - log({days_min:Float64})))) AS delay_seconds,
  t_ms + toInt64(floor(delay_seconds * 1000)) AS outcome_ms,
  if(approved, multiIf(${u('k', 22)} < {cb_unknown:Float64}, NULL, ${u('k', 22)} < {cb_unknown:Float64} + {cb_rate:Float64}, 1, 0), 0) AS chargeback
FROM (${DRAWS})
ARRAY JOIN range(copies) AS rep
WHERE rep = 0 OR t_ms >= {incident_ms:Int64}`;
}

/**
 * The better shadow is deployed as teams deploy a better model: at the operating point that keeps each segment's
 * approvals. It approves as many of a segment's shadowed transactions (per day: one INSERT per day) as live does,
 * those it scores highest, so it ranks better without approving less anywhere (per-segment approvals are a
 * promotion rule: README, "Shadow models"). Only with shadow-better: the windows sort a day's rows.
 */
function betterShadowSql(): string {
  return `SELECT *,
    shadowed AND shadow_active AND {shadow_mode:UInt8} = 1 AS better_shadow,
    row_number() OVER (PARTITION BY issuer_rank, region, better_shadow ORDER BY shadow_score DESC, tx_id) AS better_rank,
    countIf(live_score >= {approve_at:Float64}) OVER (PARTITION BY issuer_rank, region, better_shadow) AS live_approvals
  FROM (${transactionsSql()})`;
}

/** Events: a live row per transaction, a shadow row (same transaction_id) for the shadowed quarter of card-auth (and v43 on another quarter), duplicates for bad-rows. */
export function insertEventsSql(config: Config, options: { betterShadow?: boolean } = {}): string {
  const c = seededColumns(config).events;
  const columns = [
    c.event_time, c.transaction_id, c.model, c.model_version, c.variant, c.issuer, c.region, c.card_network,
    c.merchant_id, c.amount, c.currency, c.score, c.decision, c.latency_ms, c.features,
  ].map(q);
  return `INSERT INTO ${sourceRef(config.tables.events)} (${columns.join(', ')})
SELECT
  fromUnixTimestamp64Milli(t_ms, 'UTC'),
  tx_id,
  if(is_card, {card_model:String}, {router_model:String}),
  multiIf(v = 0, if(is_card, if(treated, {treatment_version:String}, {live_version:String}), {router_version:String}), v = 1, {shadow_version:String}, {second_shadow_version:String}),
  if(v = 0, {live_variant:String}, {shadow_variant:String}),
  {issuer_names:Array(String)}[issuer_rank],
  {region_names:Array(String)}[region],
  {network_names:Array(String)}[network],
  merchant,
  amount,
  {region_currency:Array(String)}[region],
  multiIf(v = 0, live_score, v = 1, shadow_score, second_score) AS o_score,
  multiIf(
    v = 1 AND better_shadow, if(better_rank <= live_approvals, {approve_label:String}, if(o_score >= {review_at:Float64}, {review_label:String}, {decline_label:String})),
    o_score >= {approve_at:Float64}, {approve_label:String}, o_score >= {review_at:Float64}, {review_label:String}, {decline_label:String}),
  multiIf(v = 0, live_latency, v = 1, shadow_latency, second_latency),
  features
FROM (${options.betterShadow ? betterShadowSql() : `SELECT *, false AS better_shadow, 0 AS better_rank, 0 AS live_approvals FROM (${transactionsSql()})`})
ARRAY JOIN arrayFilter((x, keep) -> keep, [0, 1, 2, 0], [1, shadowed, second_shadowed, duplicated]) AS v`;
}

/** Outcomes: one per transaction, only those that have arrived by `end` (or, `pending`, only those still to come, into that table). */
export function insertOutcomesSql(config: Config, pending?: string): string {
  const c = seededColumns(config).outcomes;
  const columns = [c.transaction_id, c.outcome_time, c.approved, c.chargeback].map(q);
  return `INSERT INTO ${sourceRef(pending ?? config.tables.outcomes)} (${columns.join(', ')})
SELECT tx_id, fromUnixTimestamp64Milli(outcome_ms, 'UTC'), toUInt8(approved), chargeback
FROM (${transactionsSql()})
WHERE outcome_ms ${pending ? '>=' : '<'} {end_ms:Int64}`;
}
