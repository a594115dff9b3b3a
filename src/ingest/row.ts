// What a valid row is (docs/architecture.md, "Contracts"): one JSON object whose values fit the table's real columns and vocabularies.
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { ColumnInfo } from '../store/index.js';
import { clip, describe } from './messages.js';
import { columnCheck, Problem, UnsupportedTypeError, type Check, type TypeContext } from './types.js';

/** The variants the data model knows: a row with any other is refused, since monitors could not place it. */
export const VARIANTS: readonly string[] = ['live', 'shadow'];

/** A row ready for JSONEachRow, keyed by the table's column names. */
export type Row = Record<string, unknown>;

/** Checks one line: the row to insert, or the reason it is refused (every problem found, `; `-separated). */
export type RowValidator = (line: string) => Row | string;

/** Closed vocabularies, keyed by the user's column name in `table`. */
export function allowedValues(config: Config, table: string): Map<string, readonly string[]> {
  const rules = new Map<string, readonly string[]>();
  const variant = config.columns.events.variant;
  if (table === config.tables.events && variant !== null) rules.set(variant, VARIANTS);
  return rules;
}

interface Column {
  name: string;
  check: Check;
  nullable: boolean;
}

/**
 * Builds the validator for a table from its columns as the store describes them, so renamed columns and the
 * real types are what is checked. Every column must appear in a row except Nullable ones, which default to null:
 * a silent ClickHouse default (an empty transaction id, a score of 0) would be wrong data, not missing data.
 */
export function rowValidator(table: string, columns: readonly ColumnInfo[], allowed: Map<string, readonly string[]>, context: TypeContext): RowValidator {
  const checked: Column[] = columns.map((column) => {
    let type: ReturnType<typeof columnCheck>;
    try {
      type = columnCheck(column.type, context);
    } catch (error) {
      if (!(error instanceof UnsupportedTypeError)) throw error;
      throw new ConfigError(`cannot ingest into ${table}: column ${column.name} has type ${column.type}, which ingest cannot check (${error.message})`);
    }
    const values = allowed.get(column.name);
    return { name: column.name, nullable: type.nullable, check: values ? restrict(type.check, values) : type.check };
  });
  const known = new Set(columns.map((c) => c.name));

  return (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      return `not valid JSON: ${clip((error as Error).message, 120)}`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `expected a JSON object, got ${describe(parsed)}`;
    const input = parsed as Record<string, unknown>;
    const row: Row = {};
    const problems: string[] = [];
    let present = 0;
    for (const column of checked) {
      if (!Object.hasOwn(input, column.name)) {
        if (column.nullable) row[column.name] = null;
        else problems.push(`missing column ${column.name}`);
        continue;
      }
      present++;
      const value = column.check(input[column.name]);
      if (value instanceof Problem) problems.push(`${[column.name, ...value.path].join('.')}: ${value.message}`);
      else row[column.name] = value;
    }
    // Only look for unknown keys when the count says there are some: the common row pays nothing for this.
    if (Object.keys(input).length !== present) {
      for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown column ${JSON.stringify(clip(key))}`);
    }
    return problems.length === 0 ? row : problems.join('; ');
  };
}

function restrict(check: Check, values: readonly string[]): Check {
  const allowed = new Set(values);
  const list = values.map((v) => JSON.stringify(v)).join(' or ');
  return (value) => {
    const checked = check(value);
    if (checked instanceof Problem || checked === null || allowed.has(checked as string)) return checked;
    return new Problem(`must be ${list}, got ${describe(value)}`);
  };
}
