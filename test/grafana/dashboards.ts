// Reads the dashboards in grafana/dashboards and expands their queries the way Grafana and the ClickHouse plugin do.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DASHBOARD_DIR = join(ROOT, 'grafana', 'dashboards');
export const CLICKHOUSE_TYPE = 'grafana-clickhouse-datasource';
export const PROMETHEUS_TYPE = 'prometheus';

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId?: string;
  datasource?: DataSourceRef;
  rawSql?: string;
  expr?: string;
  format?: number;
}

export interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: DataSourceRef;
  gridPos?: { h?: number; w?: number; x?: number; y?: number };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: Record<string, unknown>; overrides?: { matcher?: { id?: string; options?: string }; properties?: { id?: string; value?: unknown }[] }[] };
}

export interface Variable {
  name?: string;
  type?: string;
  label?: string;
  datasource?: DataSourceRef;
  query?: string | { rawSql?: string };
  multi?: boolean;
  includeAll?: boolean;
  /** What "All" stands for instead of every option (Grafana passes it on unformatted). */
  allValue?: string;
  /** The value the dashboard opens with: a constant's value, `$__all`, or empty (Grafana then takes the first option). */
  current?: { text?: string | string[]; value?: string | string[] };
  hide?: number;
}

export interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

export function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard }));
}

/** Every panel, rows' nested panels included (a collapsed row keeps its panels inside). */
export function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

export interface Query {
  /** e.g. `panel "PSI of the score" A` or `variable issuer`. */
  where: string;
  datasource: DataSourceRef;
  text: string;
}

/** The SQL or PromQL of every panel target and query variable; a target without its own datasource uses the panel's. */
export function dashboardQueries(dashboard: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      const datasource = target.datasource ?? panel.datasource ?? {};
      const text = target.rawSql ?? target.expr ?? '';
      queries.push({ where: `panel "${panel.title}" ${target.refId}`, datasource, text });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    queries.push({ where: `variable ${variable.name}`, datasource: variable.datasource ?? {}, text: variableQuery(variable) });
  }
  return queries;
}

/** A ClickHouse query variable is saved either as the SQL string (legacy) or as `{ rawSql }`. */
export function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.rawSql ?? '');
}

/**
 * A variable's selection: one value (a constant, or a single-value variable), several (a multi-value variable), or
 * "All" (every option; `allValue` when the variable has a custom all value, which Grafana passes on unformatted).
 */
export type Selection = string | string[] | { all: string[]; allValue?: string };

export interface Expansion {
  from: Date;
  to: Date;
  /** Grafana's $__interval for the panel, in seconds. */
  intervalSeconds: number;
  variables: Record<string, Selection>;
}

function values(selection: Selection): string[] {
  if (typeof selection === 'string') return [selection];
  return Array.isArray(selection) ? selection : selection.all;
}

const regexEscape = (text: string) => text.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

const isAll = (selection: Selection): selection is { all: string[]; allValue?: string } => typeof selection === 'object' && !Array.isArray(selection);

/** Grafana's variable formats (`${var:format}`) that the dashboards may use. */
function format(selection: Selection, name: string | undefined, fallback: (s: Selection) => string): string {
  // A custom all value skips every format (scenes' CustomAllValue.formatter): `.*` reaches SQL and PromQL as is.
  if (isAll(selection) && selection.allValue !== undefined) return selection.allValue;
  const list = values(selection);
  switch (name) {
    case undefined:
      return fallback(selection);
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'regex':
      return list.length === 1 ? regexEscape(list[0] ?? '') : `(${list.map(regexEscape).join('|')})`;
    case 'pipe':
      return list.join('|');
    case 'csv':
    case 'raw':
      return list.join(',');
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    default:
      throw new Error(`variable format ${name} is not emulated by this test; add it to test/grafana/dashboards.ts`);
  }
}

/** The ClickHouse plugin's own formatter for `$var` without a format: a list becomes 'a','b' (unescaped), one value stays raw. */
const clickhouseDefault = (selection: Selection) => (typeof selection === 'string' ? selection : `'${values(selection).join("','")}'`);
/**
 * The Prometheus datasource's own formatter for `$var` without a format (packages/grafana-prometheus/src/escaping.ts,
 * interpolateQueryExpr, classic behaviour): a single-value variable's value with `\` and `'` escaped; a multi-value
 * or "All" variable's values regex-escaped for a PromQL string (the backslash itself doubled, so `.` becomes `\\.`
 * in the query text and `\.` in the regex), joined as `(a|b)`. The `regex` format escapes only once, which inside a
 * PromQL string is an invalid escape (`"v1\.2"`): the dashboards use the default formatter in PromQL.
 */
const prometheusRegularEscape = (value: string) => value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
const prometheusSpecialRegexEscape = (value: string) => value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&');
const prometheusDefault = (selection: Selection) => {
  if (typeof selection === 'string') return prometheusRegularEscape(selection);
  const escaped = values(selection).map(prometheusSpecialRegexEscape);
  return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
};

// Grafana's variable syntax: $var, [[var]], [[var:fmt]], ${var}, ${var:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

function replaceVariables(text: string, variables: Record<string, Selection>, fallback: (s: Selection) => string): string {
  return text.replace(VARIABLE, (match, plain?: string, bracket?: string, bracketFormat?: string, braced?: string, bracedFormat?: string) => {
    const name = plain ?? bracket ?? braced ?? '';
    const selection = variables[name];
    if (selection === undefined) return match; // $__macros and Grafana built-ins are someone else's to expand
    return format(selection, bracketFormat ?? bracedFormat, fallback);
  });
}

/** The arguments of the call whose `(` is at `open`, split on top-level commas (the plugin's getMacroArgs). */
function macroArgs(text: string, open: number): { args: string[]; end: number } | undefined {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(text.slice(start, i));
      return { args, end: i + 1 };
    }
  }
  return undefined;
}

/** `$__conditionalAll(condition, $var)`: the condition, or 1=1 when the variable is at "All" (frontend, before variables). */
function applyConditionalAll(text: string, variables: Record<string, Selection>): string {
  const macro = '$__conditionalAll(';
  let at = text.lastIndexOf(macro);
  while (at !== -1) {
    const call = macroArgs(text, at + macro.length - 1);
    if (!call || call.args.length !== 2) throw new Error(`$__conditionalAll needs two arguments: ${text.slice(at, at + 80)}`);
    const [condition = '', variable = ''] = call.args;
    const name = /\$\{(\w+)\}|\$(\w+)/.exec(variable.trim());
    const selection = name ? variables[name[1] ?? name[2] ?? ''] : undefined;
    text = text.slice(0, at) + (selection !== undefined && isAll(selection) ? '1=1' : condition) + text.slice(call.end);
    at = text.lastIndexOf(macro);
  }
  return text;
}

/** The plugin's backend macros (pkg/macros/macros.go), given the panel's time range and interval. */
function expandMacros(text: string, expansion: Expansion): string {
  const from = Math.floor(expansion.from.getTime() / 1000);
  const to = Math.floor(expansion.to.getTime() / 1000);
  const fromMs = expansion.from.getTime();
  const toMs = expansion.to.getTime();
  const seconds = Math.max(1, Math.floor(expansion.intervalSeconds));
  const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;
  const withColumn: Record<string, (column: string) => string> = {
    timeFilter: (c) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    timeFilter_ms: (c) => `${c} >= fromUnixTimestamp64Milli(${fromMs}) AND ${c} <= fromUnixTimestamp64Milli(${toMs})`,
    dateFilter: (c) => `${c} >= ${date(expansion.from)} AND ${c} <= ${date(expansion.to)}`,
    timeInterval: (c) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${seconds} second)`,
    timeInterval_ms: (c) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${seconds * 1000} millisecond)`,
    timeFrom: (c) => `${c} >= toDateTime(${from})`,
    timeTo: (c) => `${c} <= toDateTime(${to})`,
  };
  const bare: Record<string, string> = {
    fromTime: `toDateTime(${from})`,
    toTime: `toDateTime(${to})`,
    fromTime_ms: `fromUnixTimestamp64Milli(${fromMs})`,
    toTime_ms: `fromUnixTimestamp64Milli(${toMs})`,
    interval_s: String(seconds),
  };
  let out = '';
  let rest = text;
  for (let match = /\$__(\w+)/.exec(rest); match; match = /\$__(\w+)/.exec(rest)) {
    const name = match[1] ?? '';
    out += rest.slice(0, match.index);
    const after = match.index + match[0].length;
    const expand = withColumn[name];
    if (expand) {
      const call = rest[after] === '(' ? macroArgs(rest, after) : undefined;
      if (!call || call.args.length !== 1) throw new Error(`$__${name} takes one column argument`);
      out += expand((call.args[0] ?? '').trim());
      rest = rest.slice(call.end);
    } else if (name in bare) {
      out += bare[name];
      rest = rest.slice(after);
    } else {
      throw new Error(`$__${name} is not a macro of the ClickHouse plugin (or not emulated here)`);
    }
  }
  return out + rest;
}

/** A dashboard's ClickHouse SQL as the server receives it: $__conditionalAll, then variables, then macros. */
export function expandClickHouse(sql: string, expansion: Expansion): string {
  const text = expandMacros(replaceVariables(applyConditionalAll(sql, expansion.variables), expansion.variables, clickhouseDefault), expansion);
  const leftover = /\$\{?\w+|\[\[\w+/.exec(text);
  if (leftover) throw new Error(`unexpanded ${leftover[0]} in:\n${text}`);
  return text;
}

/** A dashboard's PromQL as Prometheus receives it: Grafana's range variables, then the dashboard's variables. */
export function expandPromQL(expr: string, expansion: Expansion): string {
  const rangeSeconds = Math.round((expansion.to.getTime() - expansion.from.getTime()) / 1000);
  const builtins: Record<string, string> = {
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __interval: `${Math.max(1, Math.floor(expansion.intervalSeconds))}s`,
    __rate_interval: `${Math.max(4 * 30, expansion.intervalSeconds + 30)}s`,
  };
  let text = expr.replace(/\$\{?(__\w+)\}?/g, (match, name: string) => builtins[name] ?? match);
  text = replaceVariables(text, expansion.variables, prometheusDefault);
  const leftover = /\$\{?\w+|\[\[\w+/.exec(text);
  if (leftover) throw new Error(`unexpanded ${leftover[0]} in: ${text}`);
  return text;
}

/** The schema a dashboard is provisioned for: its constant variables at the values it ships with (their `current`). */
export function shippedConstants(dashboard: Dashboard): Record<string, string> {
  const constants: Record<string, string> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type === 'constant') constants[variable.name ?? ''] = String(variable.current?.value ?? '');
  }
  return constants;
}

/** The constants that name driftwatch's schema, as docs/operations.md ("Grafana") lists them. */
export const SCHEMA_CONSTANTS = ['driftwatch_database', 'history_table', 'segment_a', 'segment_b'] as const;
