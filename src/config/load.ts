// Reads a YAML config file, substitutes ${ENV}, validates it and turns every problem into one ConfigError.
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** Replaces `${NAME}` (and `${NAME:-default}`) in the raw text; an unset variable without default is an error. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`${source}: environment variable ${name} is not set (used as \${${name}}); set it or write \${${name}:-default}`);
  });
}

/** Validates an already-parsed object; the error names each bad path and what is expected. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(`${source} is invalid:\n${formatIssues(result.error)}`);
}

/** Loads the config file at `path`; a missing file means all defaults. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (path === undefined || (!existsSync(path) && path === 'driftwatch.yaml')) return parseConfig({}, 'defaults');
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist; pass an existing file with --config or omit --config for defaults`);
  let raw: unknown;
  try {
    raw = parseYaml(substituteEnv(readFileSync(path, 'utf8'), env, path));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof YAMLParseError) throw new ConfigError(`${path} is not valid YAML: ${error.message.split('\n')[0]?.replace(/:\s*$/, '')}`);
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfig(raw, path);
}

/** One line per issue: `segmnts: unknown key (did you mean segments?)`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `  - ${describeIssue(issue)}`).join('\n');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const parentShape = shapeAt(issue.path);
    return issue.keys
      .map((key) => {
        const at = path ? `${path}.${key}` : key;
        const guess = parentShape ? closest(key, parentShape) : undefined;
        return `${at}: unknown key${guess ? ` (did you mean ${path ? `${path}.` : ''}${guess}?)` : ''}`;
      })
      .join('\n  - ');
  }
  return `${path || '(top level)'}: ${issue.code === 'invalid_union' ? unionMessage(issue) : issue.message}`;
}

/**
 * zod says only "Invalid input" when no branch of a union fits (`windows.current: 24 hours`): the branches' own
 * messages say what was meant. Those past the type check come first (a string that is not a duration says so).
 */
function unionMessage(issue: z.core.$ZodIssue): string {
  const leaves = (i: z.core.$ZodIssue): z.core.$ZodIssue[] =>
    i.code === 'invalid_union' && Array.isArray((i as { errors?: unknown }).errors) ? (i as unknown as { errors: z.core.$ZodIssue[][] }).errors.flat().flatMap(leaves) : [i];
  const all = leaves(issue);
  const specific = all.filter((i) => i.code !== 'invalid_type');
  const messages = [...new Set((specific.length > 0 ? specific : all).map((i) => i.message))];
  return messages.length > 0 ? messages.join('; or ') : issue.message;
}

/** Known keys of the object schema at `path`, for suggestions. */
function shapeAt(path: PropertyKey[]): string[] | undefined {
  let schema: z.core.$ZodType = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    const shape = (schema as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
    if (!shape || typeof key !== 'string' || !(key in shape)) return undefined;
    schema = shape[key] as z.core.$ZodType;
  }
  const shape = (unwrap(schema) as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : undefined;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema as unknown as { _zod: { def: { innerType?: unknown; in?: unknown; type: string } } };
  for (let i = 0; i < 10; i++) {
    const def = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    current = inner as typeof current;
  }
  return current as unknown as z.core.$ZodType;
}

/** The known key nearest to `key` by edit distance, if it is near enough to be a typo. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length] as number;
}
