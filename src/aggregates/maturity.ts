// The approved outcome's maturity learned from the data: the 99.9th percentile of how long authorisation outcomes
// took to arrive on a past day, rounded up to a minute and bounded, learned once and kept (docs/architecture.md,
// "Noticing in minutes").
import { DEFAULT_MATURITY_MS, formatDuration, type Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import { OUTCOME_SKEW_MS } from './pieces.js';
import { selectQuery } from './sql.js';

export const MATURITY_TABLE = 'driftwatch_maturity';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A learned maturity is at least a minute (clocks and inserts lag) and at most six hours (a slower feed: configure it). */
export const MATURITY_BOUNDS_MS = { min: MINUTE_MS, max: 6 * 3_600_000 } as const;
/** Outcomes a day needs before its 99.9th percentile is learned: fewer say little about a 1-in-1,000 delay. */
export const MIN_LEARNING_OUTCOMES = 2_000;

/** What was learned, and from what. */
export interface LearnedMaturity {
  outcome: 'approved';
  maturityMs: number;
  /** The observed 99.9th percentile of the delay, before rounding and bounds. */
  p999Ms: number;
  outcomes: number;
  from: Date;
  to: Date;
}

export function maturityDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, MATURITY_TABLE)} (
  outcome      String,
  maturity_ms  UInt64,
  p999_ms      UInt64,
  outcomes     UInt64,
  learned_at   DateTime64(3, 'UTC'),
  sample_from  DateTime64(3, 'UTC'),
  sample_to    DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (outcome, learned_at)`;
}

/** The delay bounded and rounded up to a whole minute. */
export function maturityOf(p999Ms: number): number {
  const minutes = Math.ceil(p999Ms / MINUTE_MS) * MINUTE_MS;
  return Math.min(MATURITY_BOUNDS_MS.max, Math.max(MATURITY_BOUNDS_MS.min, minutes));
}

/**
 * Learns from the day that ended a day before `at`'s UTC day began: complete, and with a day or more for its
 * outcomes to have arrived. Undefined with fewer than MIN_LEARNING_OUTCOMES outcomes there.
 */
export async function learnMaturity(store: Store, config: Config, at: Date): Promise<LearnedMaturity | undefined> {
  const to = new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS - DAY_MS);
  const from = new Date(to.getTime() - DAY_MS);
  const [row] = await selectQuery<{ n: number | string; p999_ms: number | string }>(store, config, 'outcome_delay', {
    from: chTime(from),
    to: chTime(to),
    at: chTime(at),
    skew_ms: OUTCOME_SKEW_MS,
  });
  const outcomes = Number(row?.n ?? 0);
  if (outcomes < MIN_LEARNING_OUTCOMES) return undefined;
  const p999Ms = Number(row?.p999_ms);
  return { outcome: 'approved', maturityMs: maturityOf(p999Ms), p999Ms, outcomes, from, to };
}

async function loadMaturity(store: Store, config: Config): Promise<LearnedMaturity | undefined> {
  // The first learned wins (argMin over learn time): a second process learning at once cannot move it.
  const [row] = await store.select<{ maturity_ms: string; p999_ms: string; outcomes: string; sample_from: string; sample_to: string }>(
    `SELECT argMin(maturity_ms, learned_at) AS maturity_ms, argMin(p999_ms, learned_at) AS p999_ms, argMin(outcomes, learned_at) AS outcomes,
            argMin(sample_from, learned_at) AS sample_from, argMin(sample_to, learned_at) AS sample_to
     FROM ${tableRef(config, MATURITY_TABLE)} WHERE outcome = 'approved' GROUP BY outcome`,
    {},
    'load maturity',
  );
  if (!row) return undefined;
  const time = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
  return { outcome: 'approved', maturityMs: Number(row.maturity_ms), p999Ms: Number(row.p999_ms), outcomes: Number(row.outcomes), from: time(row.sample_from), to: time(row.sample_to) };
}

async function saveMaturity(store: Store, config: Config, learned: LearnedMaturity): Promise<void> {
  await store.insert(
    tableRef(config, MATURITY_TABLE),
    [{ outcome: learned.outcome, maturity_ms: learned.maturityMs, p999_ms: Math.round(learned.p999Ms), outcomes: learned.outcomes, learned_at: chTime(Date.now()), sample_from: chTime(learned.from), sample_to: chTime(learned.to) }],
    'save maturity',
  );
}

/** The config with the approved outcome's maturity as used from now on, and what it was learned from (if it was). */
export interface SettledMaturity {
  config: Config;
  learned?: LearnedMaturity;
}

/**
 * A maturity shifts the label windows back by itself: one not shorter than the reference window would leave no
 * matured reference to judge against (the config's own maturity is checked when it loads, config/schema.ts).
 */
function checkAgainstReference(config: Config, maturityMs: number, source: string): void {
  const { reference } = config.windows;
  if (typeof reference !== 'number' || maturityMs < reference) return;
  throw new ConfigError(
    `windows.reference: the approved outcome's maturity (${formatDuration(maturityMs)}, ${source}) is not shorter than the reference window (${formatDuration(reference)}); set a longer windows.reference, or windows.maturity`,
  );
}

/**
 * The config with its maturity settled: as configured; else the stored learned one; else learned now (as of
 * `at`) and stored; else, with too few outcomes to learn from, the default, to be learned by a later command.
 */
export async function settleMaturity(store: Store, config: Config, at: Date, logger?: Logger): Promise<SettledMaturity> {
  if (config.windows.maturitySource === 'config') return { config };
  let learned = await loadMaturity(store, config);
  if (!learned) {
    learned = await learnMaturity(store, config, at);
    if (!learned) {
      checkAgainstReference(config, DEFAULT_MATURITY_MS, 'the default until enough outcomes to learn it from');
      logger?.info({ maturity: formatDuration(DEFAULT_MATURITY_MS) }, `too few outcomes to learn the approved outcome's maturity from (fewer than ${MIN_LEARNING_OUTCOMES} on the day before yesterday); using ${formatDuration(DEFAULT_MATURITY_MS)} until there are, or set windows.maturity`);
      return { config };
    }
    await saveMaturity(store, config, learned);
    logger?.info({ maturity: formatDuration(learned.maturityMs), p999Ms: learned.p999Ms, outcomes: learned.outcomes }, 'learned the approved outcome\'s maturity');
  }
  const { maturityMs } = learned;
  checkAgainstReference(config, maturityMs, 'learned from the data');
  return { config: { ...config, windows: { ...config.windows, maturity: maturityMs, maturities: { ...config.windows.maturities, approved: maturityMs }, maturitySource: 'learned' } }, learned };
}
