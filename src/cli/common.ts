// Shared pieces of the CLI commands: option parsing, opening the store, and turning errors into exit codes.
import { InvalidArgumentError } from 'commander';
import { isoTimeMs, loadConfig, type Config } from '../config/index.js';
import { ConfigError, DriftwatchError, ExitCode, StoreStalledError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { checkSources, openStore, resolveFeatureColumns, type SourceCheck, type Store } from '../store/index.js';
import { ensureTables } from '../setup.js';
import { compileSilences } from '../alerts/silences.js';
import { RollupState } from '../rollup/index.js';
import { checkMonitorSettings } from '../monitors/registry.js';
import { settleMaturity, type LearnedMaturity } from '../aggregates/maturity.js';
import type { CycleOptions } from '../cycle.js';
import { prepareCycle } from '../prepare.js';

export interface Session {
  config: Config;
  store: Store;
  logger: Logger;
  /** The rollup's state for this process: the daemon's cycles and the weekly report share it (RollupState). */
  rollup: RollupState;
  /** What the approved outcome's maturity was learned from, once settled from the data (settleSession). */
  learnedMaturity?: LearnedMaturity;
  /** The source tables as checked when the session opened: unfit types (missing columns stop it), what is switched off. */
  sources?: SourceCheck;
}

export interface SessionOptions {
  /**
   * Create missing source tables in the default schema (`seed`, `ingest`, `demo`, which write them). Every other
   * command only reads them: a missing table or column is a ConfigError naming it (exit 2), and nothing is created.
   */
  createSources?: boolean;
}

/** Loads config, opens the store, checks (or creates) the source tables and creates driftwatch's own; the caller closes the store. */
export async function openSession(configPath: string | undefined, logger: Logger = createLogger(), options: SessionOptions = {}): Promise<Session> {
  let config = loadConfig(configPath);
  checkMonitorSettings(config, configPath ?? 'config');
  // Config problems before store problems: a bad silence is named even when the store is not ready yet.
  compileSilences(config);
  const store = openStore(config, logger);
  try {
    const sources = options.createSources ? undefined : await requireSources(store, config);
    if (sources) config = sources.config;
    await ensureTables(store, config, { sources: options.createSources ?? false, logger });
    if (!sources) config = await requireFeatureColumns(store, config);
    if (sources && sources.off.length > 0) logger.info({ off: sources.off }, `switched off for want of source columns: ${sources.off.join('; ')}`);
    return { config, store, logger, rollup: new RollupState(), ...(sources ? { sources } : {}) };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The source tables a reading command needs are there, with every required column, each mapping of a type the
 * queries can read: else exit 2, naming each problem (a wrong type would fail every cycle, so it stops here too).
 */
async function requireSources(store: Store, config: Config): Promise<SourceCheck> {
  const check = await checkSources(store, config);
  if (check.problems.length === 0) return check;
  const missing = check.problems.some((p) => p.kind === 'missing');
  throw new ConfigError(
    `${missing ? 'the store does not hold the configured source tables' : 'the source tables do not fit the config'}:\n${check.problems.map((p) => `  - ${p.text}`).join('\n')}\n` +
      (missing
        ? "fix tables.* / columns.* / segments in the config, or load data first (driftwatch ingest or seed create the tables, with the default columns, in the connection's database); nothing was created"
        : check.problems.every((p) => p.text.includes('features lists'))
          ? 'list in features only keys of the features map and String, FixedString or Enum columns of the events table; nothing was created'
          : 'map the column to an expression of the right type (columns.*), e.g. approved: "status = \'APPROVED\'"; nothing was created'),
  );
}

/** Which features are categorical columns, for a session that created the source tables instead of checking them. */
export async function requireFeatureColumns(store: Store, config: Config): Promise<Config> {
  if (config.features.length === 0) return { ...config, featureColumns: [] };
  const resolved = await resolveFeatureColumns(store, config);
  if (resolved.problems.length > 0) throw new ConfigError(`the source tables do not fit the config:\n${resolved.problems.map((p) => `  - ${p.text}`).join('\n')}`);
  return resolved.config;
}

/**
 * Settles the session's maturity as of `at`: as configured, else learned once from the data and kept
 * (aggregates/maturity.ts). Commands that judge or fold labels call it before their first cycle, after any seeding.
 */
export async function settleSession(session: Session, at: Date): Promise<Session> {
  const settled = await settleMaturity(session.store, session.config, at, session.logger);
  session.config = settled.config;
  if (settled.learned) session.learnedMaturity = settled.learned;
  return session;
}

/**
 * The daemon's step before each cycle: while the maturity is still the default (too few outcomes to learn it from
 * when the daemon started, e.g. on a new feed), it is learned again once per UTC day (learnMaturity reads the day
 * before yesterday, which changes at midnight), so the daemon takes it up at the first cycle there is enough data
 * for, not at its next restart; then prepareCycle with the session's config. A learned maturity the reference
 * cannot hold is logged once and the default kept (the next start exits 2 on it).
 */
export function daemonPreparer(session: Session): (at: Date) => Promise<Partial<CycleOptions> & { config: Config }> {
  let triedDay: number | undefined;
  return async (at) => {
    const day = Math.floor(at.getTime() / 86_400_000);
    if (session.config.windows.maturitySource === 'default' && day !== triedDay) {
      triedDay = day;
      try {
        await settleSession(session, at);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        session.logger.error({ err: error.message }, 'keeping the default maturity');
      }
    }
    const { store, config, logger, rollup: state } = session;
    return { config, ...(await prepareCycle(store, config, at, { logger, state })) };
  };
}

export async function withSession<T>(configPath: string | undefined, run: (session: Session) => Promise<T>, logger?: Logger, options?: SessionOptions): Promise<T> {
  const session = await openSession(configPath, logger, options);
  try {
    return await run(session);
  } finally {
    await session.store.close().catch(() => undefined);
  }
}

export function parseTime(text: string): Date {
  const ms = isoTimeMs(text);
  if (ms === undefined && !Number.isNaN(Date.parse(text))) throw new InvalidArgumentError(`no such date: ${JSON.stringify(text)} (the month has fewer days)`);
  if (ms === undefined) throw new InvalidArgumentError(`not an ISO 8601 time: ${JSON.stringify(text)} (e.g. 2026-11-24T12:00:00Z)`);
  return new Date(ms);
}

/** Decimal digits only: Number() would also take '', ' ', '0x10' and '1e3'. */
const WHOLE_NUMBER = /^[-+]?\d+$/;

export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

export function parseInteger(text: string): number {
  const n = Number(text);
  if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}

/** The exit code for an error, after printing one clear line (never a stack trace for errors a user can cause). */
export function reportError(error: unknown): number {
  if (error instanceof DriftwatchError) {
    process.stderr.write(`driftwatch: ${error.message}\n`);
    if (error instanceof StoreStalledError && error.abandoned) exitDespiteEngine(error.exitCode);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`driftwatch: unexpected error: ${message}\n`);
  if (process.env.DRIFTWATCH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return ExitCode.unexpected;
}

/**
 * The embedded engine still runs the statement driftwatch stopped waiting for, on a worker thread that keeps
 * the process alive until it ends, which may be never (a hung disk). The command has failed and said why, so
 * the process exits shortly whatever the engine does; the timer itself keeps nothing alive.
 */
export const ABANDONED_EXIT_DELAY_MS = 2_000;

function exitDespiteEngine(code: number): void {
  setTimeout(() => process.exit(code), ABANDONED_EXIT_DELAY_MS).unref();
}

export function usageError(message: string): ConfigError {
  return new ConfigError(message);
}
