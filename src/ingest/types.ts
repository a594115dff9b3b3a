// One checker per ClickHouse column type: is a JSON value of this type, and what to send ClickHouse for it.
import { describe } from './messages.js';
import { isUtcZone, parseDate, parseTime } from './time.js';

/** Why a value does not fit its column; `path` leads inside maps and arrays (`features` → `velocity_1h`). */
export class Problem {
  constructor(
    readonly message: string,
    readonly path: readonly string[] = [],
  ) {}
}

/** Returns the value to insert (normalised where needed), or a Problem. Problems are rare, so no result objects. */
export type Check = (value: unknown) => unknown;

export interface ColumnCheck {
  check: Check;
  /** Nullable columns accept null and may be left out of a row. */
  nullable: boolean;
}

/** A column type this module cannot check; ingest refuses the table rather than let unchecked values fail a batch. */
export class UnsupportedTypeError extends Error {}

export interface TypeContext {
  /** The server's timezone: DateTime columns without their own zone read text in it. */
  serverTimezone: string;
}

/**
 * Float columns take JSON numbers and these spellings of NaN and ±Inf, which JSON cannot write as numbers.
 * ClickHouse reads its own `nan`, `inf` and `-inf` text inside a quoted JSON value, so that is what is sent.
 */
const NON_FINITE = new Map<string, string>([
  ['NaN', 'nan'], ['nan', 'nan'],
  ['Inf', 'inf'], ['+Inf', 'inf'], ['inf', 'inf'], ['+inf', 'inf'], ['Infinity', 'inf'], ['+Infinity', 'inf'],
  ['-Inf', '-inf'], ['-inf', '-inf'], ['-Infinity', '-inf'],
]);

const INTEGER_BITS: Record<string, number> = { Int8: 8, Int16: 16, Int32: 32, Int64: 64, UInt8: 8, UInt16: 16, UInt32: 32, UInt64: 64 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The checker for a ClickHouse type as system.columns spells it, e.g. `Nullable(UInt8)` or `Map(String, Float64)`. */
export function columnCheck(type: string, context: TypeContext): ColumnCheck {
  const node = parseType(type);
  return { check: checkFor(node, context), nullable: isNullable(node) };
}

interface TypeNode {
  name: string;
  args: string[];
}

function isNullable(node: TypeNode): boolean {
  return node.name === 'Nullable' || (node.name === 'LowCardinality' && isNullable(arg(node, 0)));
}

function checkFor(node: TypeNode, context: TypeContext): Check {
  if (node.name === 'LowCardinality') return checkFor(arg(node, 0), context);
  if (node.name === 'Nullable') {
    const inner = checkFor(arg(node, 0), context);
    return (value) => (value === null ? null : inner(value));
  }
  return notNull(valueCheck(node, context));
}

/** The check of a non-null value. */
function valueCheck(node: TypeNode, context: TypeContext): Check {
  const { name } = node;
  if (name === 'String') return string;
  if (name === 'FixedString') return fixedString(Number(node.args[0]));
  if (name === 'UUID') return (v) => (typeof v === 'string' && UUID.test(v) ? v : expected('a UUID', v));
  if (name === 'Float32' || name === 'Float64') return float;
  if (Object.hasOwn(INTEGER_BITS, name)) return integer(name, INTEGER_BITS[name] as number);
  if (name === 'Decimal' || /^Decimal(32|64|128|256)$/.test(name)) return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : expected('a number', v));
  if (name === 'Bool') return (v) => (typeof v === 'boolean' ? v : expected('true or false', v));
  if (name === 'Date' || name === 'Date32') return text((s) => parseDate(s, name), 'a date string');
  if (name === 'DateTime' || name === 'DateTime64') return time(node, context);
  if (name === 'Enum8' || name === 'Enum16') return oneOf(enumNames(node.args));
  if (name === 'Map') return map(node, context);
  if (name === 'Array') return array(checkFor(arg(node, 0), context));
  throw new UnsupportedTypeError(name);
}

/** null in a column that is not Nullable is its own, clearer problem than "expected a string, got null". */
function notNull(check: Check): Check {
  return (value) => (value === null ? new Problem('null is not allowed (the column is not Nullable)') : check(value));
}

function string(value: unknown): unknown {
  return typeof value === 'string' ? value : expected('a string', value);
}

function fixedString(bytes: number): Check {
  return (value) => {
    if (typeof value !== 'string') return expected('a string', value);
    return Buffer.byteLength(value) <= bytes ? value : new Problem(`${describe(value)} is longer than ${bytes} bytes`);
  };
}

function float(value: unknown): unknown {
  if (typeof value === 'number') {
    // JSON.parse turns 1e400 into Infinity, which JSON.stringify would send as null: send ClickHouse's spelling.
    return Number.isFinite(value) ? value : value > 0 ? 'inf' : '-inf';
  }
  if (typeof value === 'string') return NON_FINITE.get(value) ?? expected('a number', value);
  return expected('a number', value);
}

function integer(name: string, bits: number): Check {
  const unsigned = name.startsWith('U');
  // 64-bit bounds are beyond doubles; JSON.parse has already rounded anything past 2^53, so only safe integers are exact.
  const min = unsigned ? 0 : bits === 64 ? Number.MIN_SAFE_INTEGER : -(2 ** (bits - 1));
  const max = bits === 64 ? Number.MAX_SAFE_INTEGER : unsigned ? 2 ** bits - 1 : 2 ** (bits - 1) - 1;
  return (value) => {
    if (typeof value !== 'number') return expected('an integer', value);
    if (!Number.isInteger(value)) return new Problem(`expected an integer, got ${describe(value)}`);
    if (value < min || value > max) return new Problem(`${value} is out of range for ${name} (${min} to ${max})`);
    return value;
  };
}

function text(parse: (s: string) => string | { problem: string }, what: string): Check {
  return (value) => {
    if (typeof value !== 'string') return expected(what, value);
    const parsed = parse(value);
    return typeof parsed === 'string' ? parsed : new Problem(parsed.problem);
  };
}

function time(node: TypeNode, context: TypeContext): Check {
  const is64 = node.name === 'DateTime64';
  const precision = is64 ? Number(node.args[0] ?? 3) : 0;
  const zone = unquote(node.args[is64 ? 1 : 0] ?? '') || context.serverTimezone;
  // Text times are read in the column's zone; writing UTC text into another zone would shift every row.
  if (!isUtcZone(zone)) throw new UnsupportedTypeError(`${node.name} in time zone ${zone} (ingest writes UTC and needs 'UTC')`);
  return text((s) => parseTime(s, is64 ? 'DateTime64' : 'DateTime', precision), 'a time string');
}

function oneOf(names: readonly string[]): Check {
  const allowed = new Set(names);
  const list = names.map((n) => JSON.stringify(n)).join(', ');
  return (value) => {
    if (typeof value !== 'string') return expected('a string', value);
    return allowed.has(value) ? value : new Problem(`must be one of ${list}, got ${describe(value)}`);
  };
}

function map(node: TypeNode, context: TypeContext): Check {
  const key = parseType(node.args[0] ?? '');
  const keyName = key.name === 'LowCardinality' ? arg(key, 0).name : key.name;
  if (keyName !== 'String') throw new UnsupportedTypeError(`Map with ${node.args[0]} keys`);
  const inner = checkFor(arg(node, 1), context);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return expected('an object', value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const checked = inner(v);
      if (checked instanceof Problem) return new Problem(checked.message, [k, ...checked.path]);
      out[k] = checked;
    }
    return out;
  };
}

function array(inner: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return expected('an array', value);
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const checked = inner(value[i]);
      if (checked instanceof Problem) return new Problem(checked.message, [String(i), ...checked.path]);
      out.push(checked);
    }
    return out;
  };
}

function expected(what: string, value: unknown): Problem {
  return new Problem(`expected ${what}, got ${describe(value)}`);
}

/** Parses `Name(arg, arg)` one level deep; arguments stay text, split at top-level commas outside quotes. */
function parseType(type: string): TypeNode {
  const trimmed = type.trim();
  const open = trimmed.indexOf('(');
  if (open < 0 || !trimmed.endsWith(')')) return { name: trimmed, args: [] };
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = open + 1;
  for (let i = start; i < trimmed.length - 1; i++) {
    const c = trimmed[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(trimmed.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(trimmed.slice(start, trimmed.length - 1).trim());
  return { name: trimmed.slice(0, open), args };
}

function arg(node: TypeNode, index: number): TypeNode {
  const text = node.args[index];
  if (text === undefined) throw new UnsupportedTypeError(`${node.name} without arguments`);
  return parseType(text);
}

function unquote(text: string): string {
  return text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1).replace(/\\(.)/g, '$1') : text;
}

/** The names of `Enum8('a' = 1, 'b' = 2)`. */
function enumNames(args: string[]): string[] {
  return args.map((a) => unquote(a.replace(/\s*=\s*-?\d+$/, '')));
}
