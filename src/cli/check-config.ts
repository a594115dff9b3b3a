// `driftwatch check-config`: validates the config, then the store's schema against the configured columns.
import { ConfigError } from '../errors.js';
import { describeTable } from '../store/index.js';
import { formatDuration } from '../config/index.js';
import { settleSession, withSession, type Session } from './common.js';

/** Types each configured column must have (base type, ignoring LowCardinality/Nullable wrappers where harmless). */
const EVENT_TYPES: Record<string, RegExp> = {
  event_time: /^DateTime(64)?/,
  score: /^(Nullable\()?Float(32|64)/,
  amount: /^(Nullable\()?Float(32|64)|Decimal/,
  latency_ms: /^(Nullable\()?(Float|U?Int)/,
  features: /^Map\(String, Float(32|64)\)/,
};
const OUTCOME_TYPES: Record<string, RegExp> = { outcome_time: /^DateTime(64)?/, approved: /^(Nullable\()?U?Int8|^Bool/ };

export async function checkConfigCommand(options: { config?: string }): Promise<number> {
  return withSession(options.config, async (session) => {
    const { store, config } = session;
    const problems: string[] = [];
    const check = async (table: string, columns: Record<string, string>, types: Record<string, RegExp>, extra: string[]) => {
      const actual = new Map((await describeTable(store, config, table)).map((c) => [c.name, c.type]));
      if (actual.size === 0) return problems.push(`table ${table} does not exist`);
      for (const [canonical, name] of Object.entries(columns)) {
        const type = actual.get(name);
        if (type === undefined) problems.push(`${table}: column ${name} (columns.${table === config.tables.events ? 'events' : 'outcomes'}.${canonical}) is missing`);
        else if (types[canonical] && !types[canonical].test(type)) problems.push(`${table}.${name}: type ${type} does not fit ${canonical}`);
      }
      for (const name of extra) if (!actual.has(name)) problems.push(`${table}: segment column ${name} (segments) is missing`);
      return undefined;
    };
    await check(config.tables.events, config.columns.events, EVENT_TYPES, config.segments);
    await check(config.tables.outcomes, config.columns.outcomes, OUTCOME_TYPES, []);
    if (problems.length > 0) throw new ConfigError(`the store does not match the config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.stdout.write(`config ok; store ${store.kind} (${store.location}) has the configured tables and columns\n`);
    process.stdout.write(`${maturityLine(await settleSession(session, new Date()))}\n`);
    return 0;
  });
}

/** How long label-based monitors wait for the approved outcome, and why that long. */
function maturityLine(session: Session): string {
  const { maturity, maturitySource, maturities } = session.config.windows;
  const chargeback = maturities.chargeback !== undefined ? `; chargeback ${formatDuration(maturities.chargeback)} (configured)` : '';
  const learned = session.learnedMaturity;
  const why =
    maturitySource === 'config'
      ? 'configured (windows.maturity)'
      : learned
        ? `learned: the 99.9th percentile of outcome delays was ${(learned.p999Ms / 1000).toFixed(1)} s over ${learned.outcomes.toLocaleString('en-US')} outcomes of ${learned.from.toISOString().slice(0, 10)}, rounded up to a minute, within 1m–6h; set windows.maturity to fix it`
        : 'default: too few outcomes yet to learn it from the data; set windows.maturity to fix it';
  return `maturity: approved ${formatDuration(maturity)} — ${why}${chargeback}`;
}
