// Synthetic payments traffic with injected incidents, generated inside ClickHouse, deterministic from a seed.
//
// Two models: card-auth (live v41, shadow v42 on a deterministic ~25 % of transactions, same
// transaction_id) and retry-router (live only, ~10 % of card-auth's volume). ~2,000 issuers with
// Zipf-like volume in 6 regions, diurnal and weekly seasonality, calibrated live scores, outcomes that
// arrive late (those not arrived by `end` are not written). Scenarios: see scenarios.ts.
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { chTime, ensureSchema, seededColumns, sourceRef, type Store } from '../store/index.js';
import { quoteIdentifier as q } from '../config/index.js';
import { HOUR_MS, planTraffic } from './calendar.js';
import { chunkParams, delayParams, worldParams } from './params.js';
import { describeTargets, planScenarios, scenarioParams, type BadRowCounts, type ScenarioPlan } from './scenarios.js';
import { insertEventsSql, insertOutcomesSql } from './sql.js';
import { SCENARIOS, type ScenarioName, type SeedOptions, type SeedSummary } from './types.js';
import { DELAYS, MODEL } from './world.js';

export { SCENARIOS, type ScenarioName, type ScenarioTarget, type SeedOptions, type SeedSummary } from './types.js';

/** Live transactions per day when the caller does not say: 14 days give ≥ 5M scoring events. */
const DEFAULT_EVENTS_PER_DAY = 360_000;
/** Scenarios start this long before `end` unless `incidentStart` is given. */
const DEFAULT_INCIDENT_HOURS = 26;

interface Checked {
  hours: number;
  endMs: number;
  perDay: number;
  scenarios: ScenarioName[];
}

function check(options: SeedOptions): Checked {
  const { days, end, seed, scenarios } = options;
  if (!Number.isFinite(days) || days <= 0) throw new ConfigError(`seed: days must be a positive number, got ${days}`);
  const hours = Math.round(days * 24);
  if (hours < 1) throw new ConfigError(`seed: days must cover at least one hour, got ${days}`);
  if (!(end instanceof Date) || Number.isNaN(end.getTime())) throw new ConfigError('seed: end must be a valid date, e.g. 2026-11-24T12:00:00Z');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError(`seed: seed must be a non-negative integer, got ${seed}`);
  const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new ConfigError(`seed: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  const perDay = options.eventsPerDay ?? DEFAULT_EVENTS_PER_DAY;
  if (!Number.isFinite(perDay) || perDay <= 0) throw new ConfigError(`seed: eventsPerDay must be a positive number, got ${perDay}`);
  if (options.merchants !== undefined && (!Number.isSafeInteger(options.merchants) || options.merchants < 1 || options.merchants > 99_999)) {
    throw new ConfigError(`seed: merchants must be a whole number from 1 to 99,999 (ids are M00001 … M99999), got ${options.merchants}`);
  }
  return { hours, endMs: end.getTime(), perDay, scenarios: [...new Set(scenarios)] };
}

function incidentStartMs(options: SeedOptions, fromMs: number, endMs: number): number {
  if (!options.incidentStart) return Math.max(fromMs, endMs - DEFAULT_INCIDENT_HOURS * HOUR_MS);
  const at = options.incidentStart.getTime();
  if (Number.isNaN(at) || at < fromMs || at >= endMs) {
    throw new ConfigError(`seed: incidentStart must fall within the seeded range [${new Date(fromMs).toISOString()}, ${new Date(endMs).toISOString()})`);
  }
  return at;
}

/** Rows of each source table in [from, to): the seeding's own rows are the difference before and after. */
async function countRows(store: Store, config: Config, fromMs: number, toMs: number): Promise<{ events: number; outcomes: number }> {
  const e = seededColumns(config).events;
  const o = seededColumns(config).outcomes;
  const params = { from: chTime(fromMs), to: chTime(toMs) };
  const range = (column: string) => `${q(column)} >= {from:DateTime64(3, 'UTC')} AND ${q(column)} < {to:DateTime64(3, 'UTC')}`;
  const [row] = await store.select<{ events: number; outcomes: number }>(
    `SELECT
      (SELECT count() FROM ${sourceRef(config.tables.events)} WHERE ${range(e.event_time)}) AS events,
      (SELECT count() FROM ${sourceRef(config.tables.outcomes)} WHERE ${range(o.outcome_time)}) AS outcomes`,
    params,
    'synth count rows',
  );
  return { events: Number(row?.events ?? 0), outcomes: Number(row?.outcomes ?? 0) };
}

/** What bad-rows wrote: card-auth live rows with bad scores, and duplicated transaction ids, in the incident hours. */
async function countBadRows(store: Store, config: Config, fromMs: number, toMs: number): Promise<BadRowCounts> {
  const e = seededColumns(config).events;
  const score = q(e.score);
  const [row] = await store.select<BadRowCounts>(
    `SELECT
      countIf(isNaN(${score})) AS nan,
      countIf(isInfinite(${score})) AS infinite,
      countIf(isFinite(${score}) AND (${score} < 0 OR ${score} > 1)) AS outOfRange,
      count() - uniqExact(${q(e.transaction_id)}) AS duplicates
    FROM ${sourceRef(config.tables.events)}
    WHERE ${q(e.model)} = {model:String} AND ${q(e.variant)} = {variant:String}
      AND ${q(e.event_time)} >= {from:DateTime64(3, 'UTC')} AND ${q(e.event_time)} < {to:DateTime64(3, 'UTC')}`,
    { model: MODEL.card.name, variant: 'live', from: chTime(fromMs), to: chTime(toMs) },
    'synth count bad rows',
  );
  return { nan: Number(row?.nan ?? 0), infinite: Number(row?.infinite ?? 0), outOfRange: Number(row?.outOfRange ?? 0), duplicates: Number(row?.duplicates ?? 0) };
}

function modelsOf(plan: ScenarioPlan): SeedSummary['models'] {
  const shadows: string[] = [MODEL.card.shadow, ...(plan.secondShadow ? [MODEL.card.secondShadow] : [])];
  return [
    { model: MODEL.card.name, liveVersion: MODEL.card.live, shadowVersions: shadows, ...(plan.abShare > 0 ? { treatmentVersion: MODEL.card.treatment } : {}) },
    { model: MODEL.router.name, liveVersion: MODEL.router.live, shadowVersions: [] },
  ];
}

/**
 * Writes synthetic traffic for the `days` before `end` into the configured events and outcomes
 * tables, a day per INSERT … SELECT. The same arguments write the same rows. Progress counts live
 * transactions (before scenario replicas and shadow rows).
 */
export async function seed(store: Store, config: Config, options: SeedOptions, logger: Logger = silentLogger): Promise<SeedSummary> {
  const started = performance.now();
  const checked = check(options);
  const traffic = planTraffic(checked.endMs, checked.hours, checked.perDay);
  const incidentMs = incidentStartMs(options, traffic.fromMs, checked.endMs);
  const plan = planScenarios(checked.scenarios, traffic.fromMs, incidentMs, options.incidentStart !== undefined);
  await ensureSchema(store, config);
  const before = await countRows(store, config, traffic.fromMs, traffic.toMs);
  const common = { ...worldParams(), ...(options.merchants === undefined ? {} : { merchants: options.merchants }), ...delayParams(DELAYS[options.delays ?? 'authorisation']), ...scenarioParams(plan), seed: options.seed, end_ms: checked.endMs };
  const eventsSql = insertEventsSql(config, { betterShadow: plan.shadowMode === 1 });
  const outcomesSql = insertOutcomesSql(config);
  const pendingSql = options.pendingOutcomes ? insertOutcomesSql(config, options.pendingOutcomes) : undefined;
  logger.info({ from: new Date(traffic.fromMs), to: options.end, transactions: traffic.total, scenarios: checked.scenarios }, 'seeding synthetic traffic');
  let done = 0;
  options.onProgress?.(0, traffic.total);
  for (const chunk of traffic.chunks) {
    const params = { ...common, ...chunkParams(chunk) };
    await store.command(eventsSql, params, 'synth events');
    await store.command(outcomesSql, params, 'synth outcomes');
    if (pendingSql) await store.command(pendingSql, params, 'synth pending outcomes');
    done += chunk.count;
    logger.debug({ chunk: new Date(chunk.startMs), transactions: chunk.count }, 'seeded chunk');
    options.onProgress?.(done, traffic.total);
  }
  const after = await countRows(store, config, traffic.fromMs, traffic.toMs);
  const bad = plan.badRows ? await countBadRows(store, config, incidentMs, checked.endMs) : undefined;
  const window = { fromMs: traffic.fromMs, toMs: checked.endMs };
  const summary: SeedSummary = {
    events: after.events - before.events,
    outcomes: after.outcomes - before.outcomes,
    from: new Date(traffic.fromMs),
    to: new Date(checked.endMs),
    models: modelsOf(plan),
    targets: describeTargets(config, checked.scenarios, plan, window, bad),
    seconds: (performance.now() - started) / 1000,
  };
  logger.info({ events: summary.events, outcomes: summary.outcomes, seconds: Number(summary.seconds.toFixed(1)) }, 'seeded synthetic traffic');
  return summary;
}
