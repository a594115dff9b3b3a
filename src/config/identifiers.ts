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
