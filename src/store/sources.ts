// The source tables as the config maps them: which columns are there, which optional ones are off, and why.
import type { Config } from '../config/index.js';
import { isIdentifier } from '../config/index.js';
import { StoreQueryError, StoreStalledError } from '../errors.js';
import type { QueryParams, Store } from './client.js';
import { columnSql, EVENT_COLUMNS_READ, OUTCOME_COLUMNS_READ, sourceRef, systemTableWhere } from './sql.js';

export interface ColumnInfo {
  name: string;
  type: string;
}

/** The columns of a source table as the store sees them (`db.table` or the current database's); empty when it does not exist. */
export async function describeTable(store: Store, table: string): Promise<ColumnInfo[]> {
  const params: QueryParams = {};
  return store.select<ColumnInfo>(`SELECT name, type FROM system.columns WHERE ${systemTableWhere(table, params)} ORDER BY position`, params, 'describe table');
}

type SourceKey = 'events' | 'outcomes';

/** What each mapped column must be (its type as DESCRIBE spells it), and what an optional one's absence switches off. */
interface ColumnRule {
  type?: RegExp;
  /** What the column's type must be, in words, for the message. */
  expected?: string;
  /** Optional columns: what works without them. Absent: the column is required. */
  without?: string;
}

const TIME = { type: /^(Nullable\()?DateTime(64)?(\(|$)/, expected: 'DateTime or DateTime64' };
const TEXT = /^(LowCardinality\()?(Nullable\()?(String|FixedString|Enum)/;
const RULES: Record<SourceKey, Record<string, ColumnRule>> = {
  events: {
    event_time: TIME,
    transaction_id: {},
    model: { type: TEXT, expected: 'a String (or Enum)' },
    score: { type: /^(Nullable\()?(Float(32|64)|Decimal)/, expected: 'Float32/Float64' },
    model_version: { type: TEXT, expected: 'a String (or Enum)', without: 'shadow comparisons (a shadow is told by its model version)' },
    variant: { type: TEXT, expected: "a String (or Enum) of 'live' / 'shadow'", without: "shadow comparisons: every row is read as the live model's" },
    decision: { type: TEXT, expected: "a String (or Enum) of 'approve' / 'decline' / 'review'", without: 'shadow comparisons (a shadow is judged on its decisions too)' },
    latency_ms: { type: /^(Nullable\()?(Float|U?Int|Decimal)/, expected: 'a number', without: "shadow comparisons' latency budget" },
    features: { type: /^Map\((LowCardinality\()?String\)?, (Nullable\()?Float(32|64)/, expected: 'Map(String, Float64)', without: 'feature drift' },
  },
  outcomes: {
    transaction_id: {},
    outcome_time: TIME,
    approved: { type: /^(Nullable\()?(U?Int8|Bool)/, expected: "UInt8 or Bool (an Enum or String status needs an expression, e.g. approved: \"status = 'APPROVED'\")" },
    chargeback: { type: /^(Nullable\()?(U?Int8|Bool)/, expected: 'UInt8 or Bool', without: 'chargeback maturity' },
  },
};

/** The columns driftwatch reads from each source table (the seeded schema's others are seed's and ingest's). */
const READ: Record<SourceKey, readonly string[]> = { events: EVENT_COLUMNS_READ, outcomes: OUTCOME_COLUMNS_READ };

export interface SourceProblem {
  /** A missing table or column, an expression the engine refuses, or a type the queries cannot read: every command that reads the sources stops (exit 2). */
  kind: 'missing' | 'type';
  text: string;
}

/** One mapped column as found: its SQL type, or off and why. */
export interface SourceColumn {
  key: SourceKey;
  canonical: string;
  /** The mapping as configured: a column name, an expression, or null (off in config). */
  mapping: string | null;
  type?: string;
  off?: string;
}

export interface SourceCheck {
  problems: SourceProblem[];
  columns: SourceColumn[];
  /** The config with every optional column the tables lack set to null (read as its off value: src/store/sql.ts). */
  config: Config;
  /** What is switched off, and why, one line each (check-config prints them). */
  off: string[];
}

/**
 * Checks the source tables against the config without changing them: each mapping is a column of the table or an
 * expression the engine parses and types over it (DESCRIBE of a subquery: nothing is read); required columns must
 * be there; an optional column the table lacks is switched off, as is an optional mapping set to null. Mapped
 * optional columns the user named explicitly (not the default name) are required too: a typo must not switch a
 * feature off silently.
 */
export async function checkSources(store: Store, config: Config): Promise<SourceCheck> {
  const problems: SourceProblem[] = [];
  const columns: SourceColumn[] = [];
  let featureColumns: string[] = [];
  const resolved = { events: { ...config.columns.events }, outcomes: { ...config.columns.outcomes } } as Record<SourceKey, Record<string, string | null>>;
  for (const key of ['events', 'outcomes'] as const) {
    const table = config.tables[key];
    const actual = new Map((await describeTable(store, table)).map((c) => [c.name, c.type]));
    if (actual.size === 0) {
      problems.push({ kind: 'missing', text: `table ${table} (tables.${key}) does not exist` });
      continue;
    }
    for (const canonical of READ[key]) {
      const mapping = (config.columns[key] as Record<string, string | null>)[canonical] ?? null;
      const rule = RULES[key][canonical] ?? {};
      const at = `columns.${key}.${canonical}`;
      if (mapping === null) {
        columns.push({ key, canonical, mapping, off: `${at} is null` });
        continue;
      }
      let type: string | undefined;
      if (isIdentifier(mapping)) {
        type = actual.get(mapping);
        if (type === undefined) {
          if (rule.without !== undefined && mapping === canonical) {
            resolved[key][canonical] = null;
            columns.push({ key, canonical, mapping, off: `${table} has no column ${mapping}` });
          } else problems.push({ kind: 'missing', text: `${table}: column ${mapping} (${at}) is missing` });
          continue;
        }
      } else {
        const described = await describeExpression(store, table, mapping);
        if ('error' in described) {
          problems.push({ kind: 'missing', text: `${table}: ${at} = ${JSON.stringify(mapping)} is not an expression over its columns: ${described.error}` });
          continue;
        }
        type = described.type;
      }
      columns.push({ key, canonical, mapping, type });
      if (rule.type && !rule.type.test(type)) problems.push({ kind: 'type', text: `${table}: ${at} (${mapping}) is ${type}, not ${rule.expected}` });
    }
    if (key === 'events') {
      for (const name of config.segments) if (!actual.has(name)) problems.push({ kind: 'missing', text: `${table}: segment column ${name} (segments) is missing` });
      featureColumns = classifyFeatures(config.features, actual, table, problems);
    }
  }
  const off = columns.filter((c) => c.off !== undefined).map((c) => `${RULES[c.key][c.canonical]?.without} off: ${c.off} (columns.${c.key}.${c.canonical})`);
  const mapKeys = config.features.filter((f) => !featureColumns.includes(f));
  if (mapKeys.length > 0 && columns.some((c) => c.canonical === 'features' && c.off !== undefined)) {
    problems.push({ kind: 'missing', text: `features lists ${mapKeys.join(', ')} but the events have no features column (columns.events.features) nor columns of those names; remove them from features or map the column` });
  }
  const shadowOff = columns.some((c) => c.key === 'events' && ['model_version', 'decision'].includes(c.canonical) && c.off !== undefined);
  const next: Config = {
    ...config,
    featureColumns,
    columns: resolved as unknown as Config['columns'],
    // Without a version or a decision a shadow cannot be compared; its rows stay out of the live model's (variant).
    ...(shadowOff && config.monitors.shadow.enabled ? { monitors: { ...config.monitors, shadow: { ...config.monitors.shadow, enabled: false } } } : {}),
  };
  return { problems, columns, config: next, off };
}

/**
 * The config with `featureColumns` read off the events table, for sessions that create the source tables rather
 * than check them (seed, ingest, demo): the same rule as checkSources, with its problems.
 */
export async function resolveFeatureColumns(store: Store, config: Config): Promise<{ config: Config; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const actual = new Map((await describeTable(store, config.tables.events)).map((c) => [c.name, c.type]));
  const featureColumns = classifyFeatures(config.features, actual, config.tables.events, problems);
  return { config: { ...config, featureColumns }, problems };
}

/** A column type whose values are categories: String, FixedString or an Enum, LowCardinality and Nullable aside. */
const CATEGORICAL = /^(LowCardinality\()?(Nullable\()?(String|FixedString\(|Enum(8|16)?\()/;
const NUMERIC = /^(LowCardinality\()?(Nullable\()?(U?Int\d+|Float(32|64)|BFloat16|Decimal|Bool)/;

/**
 * The features that name a string-like column of the events table: watched by category (README, "How findings
 * are judged"). A feature naming a numeric column is a mistake (numeric features are keys of the features map); any
 * other name is a key of the map.
 */
const RESERVED_FEATURE_COLUMNS = new Set(['segment', 'categories']);

function classifyFeatures(features: readonly string[], actual: ReadonlyMap<string, string>, table: string, problems: SourceProblem[]): string[] {
  const out: string[] = [];
  for (const feature of features) {
    const type = actual.get(feature);
    if (type === undefined) continue;
    if (NUMERIC.test(type)) {
      problems.push({ kind: 'type', text: `${table}: features lists ${feature}, a ${type} column; numeric features come from the features map (columns.events.features), a column in features must be a String, FixedString or Enum` });
    } else if (!CATEGORICAL.test(type)) {
      problems.push({ kind: 'type', text: `${table}: features lists ${feature}, a ${type} column; a column in features must be a String, FixedString or Enum` });
    } else if (!isIdentifier(feature)) {
      problems.push({ kind: 'type', text: `${table}: features lists column ${JSON.stringify(feature)}, which is not an identifier ([A-Za-z_][A-Za-z0-9_]*); rename the column or map an alias` });
    } else if (RESERVED_FEATURE_COLUMNS.has(feature)) {
      // {{events}} names its computed columns so: the feature would read them, not the table's column (store/sql.ts).
      problems.push({ kind: 'type', text: `${table}: features lists column ${feature}, a name driftwatch gives a column of its own in every read (segment, categories); watch a view or alias of it under another name` });
    } else out.push(feature);
  }
  return out;
}

/** The type of an expression over a table, by the engine's parser and analyser (DESCRIBE reads no data), or its error. */
async function describeExpression(store: Store, table: string, expression: string): Promise<{ type: string } | { error: string }> {
  try {
    // Beside the table's own columns, an aggregate (count(), max(x)) fails: a mapping is a value of each row.
    const rows = await store.select<ColumnInfo>(`DESCRIBE (SELECT ${columnSql(expression)} AS driftwatch_value, * FROM ${sourceRef(table)})`, {}, 'describe mapping');
    const [row] = rows;
    if (row?.name !== 'driftwatch_value') return { error: 'it must be one expression' };
    return { type: row.type };
  } catch (error) {
    // The engine refusing the expression is the user's to fix; an unreachable or stalled store is not about it.
    if (!(error instanceof StoreQueryError) || error instanceof StoreStalledError) throw error;
    return { error: error.message.replace(/^query describe mapping failed: /, '') };
  }
}
