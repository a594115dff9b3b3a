// `driftwatch check-config`: validates the config, then the store's schema against the configured columns.
import { selectQuery } from '../aggregates/sql.js';
import { formatDuration } from '../config/index.js';
import { resolveWindows } from '../core/windows.js';
import { chTime } from '../store/index.js';
import { settleSession, withSession, type Session } from './common.js';

export async function checkConfigCommand(options: { config?: string }): Promise<number> {
  return withSession(options.config, async (session) => {
    const { store } = session;
    // The session refused every source problem when it opened (exit 2, naming each).
    process.stdout.write(`config ok; store ${store.kind} (${store.location}) has the configured tables and columns\n`);
    for (const line of sourceLines(session)) process.stdout.write(`${line}\n`);
    for (const line of await featureLines(session, new Date())) process.stdout.write(`${line}\n`);
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

/** Where each source column comes from (an expression's type included), and what is off for want of one. */
function sourceLines(session: Session): string[] {
  const { config, sources } = session;
  if (!sources) return [];
  const mapped = (key: 'events' | 'outcomes') =>
    sources.columns
      .filter((c) => c.key === key && c.off === undefined)
      .map((c) => (c.mapping === c.canonical ? c.canonical : `${c.canonical} = ${c.mapping}`) + ` (${c.type})`)
      .join(', ');
  return [
    `events: ${config.tables.events}: ${mapped('events')}; segments ${config.segments.join(', ')}`,
    `outcomes: ${config.tables.outcomes}: ${mapped('outcomes')}`,
    `driftwatch's own tables: database ${config.store.driftwatchDatabase}`,
    ...(sources.off.length === 0 ? ['every monitor has the columns it needs'] : sources.off),
  ];
}

/**
 * Which features are read by category (columns of the events table) and which from the features map; a
 * categorical feature with more values in the reference as of `at` than `monitors.psi.maxCategories` is said,
 * as the daemon says it when it learns the bins (queries/feature_categories.sql, over live events of every model).
 */
export async function featureLines({ config, store }: Pick<Session, 'config' | 'store'>, at: Date): Promise<string[]> {
  if (config.features.length === 0) return [];
  const kinds = config.features.map((f) => (config.featureColumns.includes(f) ? `${f} (by category: a column of ${config.tables.events})` : `${f} (a key of the features map)`));
  const lines = [`features: ${kinds.join(', ')}`];
  if (config.featureColumns.length === 0) return lines;
  const { reference } = resolveWindows(config, at);
  const cap = config.monitors.psi.maxCategories;
  const rows = await selectQuery<{ feature: string; distinct_values: number | string }>(store, config, 'feature_categories', {
    ref_from: chTime(reference.from),
    ref_to: chTime(reference.to),
    models: config.models,
    features: config.featureColumns,
    max_categories: cap,
  });
  const most = new Map<string, number>();
  for (const row of rows) most.set(row.feature, Math.max(most.get(row.feature) ?? 0, Number(row.distinct_values)));
  for (const [feature, distinct] of most) {
    if (distinct > cap) lines.push(`${feature} had ${distinct} distinct values in the reference: its ${cap} most frequent are its PSI bins, the other ${distinct - cap} count as "other"; raise monitors.psi.maxCategories to bin more`);
  }
  return lines;
}
