// Identifiers from config (columns, tables, segments) are validated here and quoted before they reach SQL.

/** What a ClickHouse identifier from config may look like; also a valid Prometheus label name. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER_PATTERN.test(name);
}

/** Backquotes a validated identifier; throws on anything else so nothing unvalidated reaches SQL. */
export function quoteIdentifier(name: string): string {
  if (!isIdentifier(name)) throw new RangeError(`not a valid identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** A table name from config, optionally qualified by its database: `events` or `payments.auth_log`. */
export const QUALIFIED_TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/**
 * Why a column mapping cannot be used as an expression, if it cannot: driftwatch puts an expression in
 * parentheses, so nothing may end them early (an unbalanced parenthesis or quote) or hide the rest of the query
 * (a comment, a second statement). Whether the rest is ClickHouse is for the engine's parser (src/store/sources.ts).
 */
export function expressionProblem(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      // A quoted literal or identifier, with backslash escapes and doubled quotes, as ClickHouse reads them.
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '\\') j++;
        else if (text[j] === c) {
          if (text[j + 1] === c) j++;
          else break;
        }
      }
      if (j >= text.length) return `has an unterminated ${c} quote`;
      i = j;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      if (--depth < 0) return `closes a bracket it did not open (at character ${i + 1})`;
    } else if (c === ';') return 'must be one expression (no ;)';
    else if (c === '#' || (c === '-' && text[i + 1] === '-') || (c === '/' && text[i + 1] === '*')) return 'must not contain a comment';
    // ClickHouse's $$…$$ / $tag$…$tag$ strings would hide quotes from this scan: not allowed.
    else if (c === '$') return "must not contain $ outside a quoted string (use '…' for strings)";
    else if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0] ?? c;
      // A value per row: no window (OVER), and nothing that multiplies rows (arrayJoin).
      if (/^(over|arrayjoin)$/i.test(word)) return `must be a value of each row: ${word} is not allowed`;
      i += word.length - 1;
    }
  }
  return depth === 0 ? undefined : 'has an unclosed bracket';
}

/** A table from config as `database` (undefined: the connection's current one) and `table`. */
export function splitTableName(name: string): { database: string | undefined; table: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { database: undefined, table: name } : { database: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** A table from config, quoted: `events` or `payments`.`auth_log`. */
export function quoteTableName(name: string): string {
  const { database, table } = splitTableName(name);
  return database === undefined ? quoteIdentifier(table) : `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
