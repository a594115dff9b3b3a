// How values appear in the reason given for a skipped line: short, quoted, and saying what kind of value it was.

/** Cuts long text, so one huge bad value cannot flood a report. */
export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A JSON value for a message: `string "abc"`, `number 3`, `an object`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(clip(value))}`;
  return `${typeof value} ${String(value)}`;
}
