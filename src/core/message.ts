// The words of a message, independent of markup: monitors say what a value means, sinks render it (Block Kit, text).

/**
 * Our own words (`text`), a label (`bold`), user data (`value`: always escaped, cut at `max` characters, 80 by
 * default), or a time (shown in the reader's zone by Slack).
 */
export type Span = string | { bold: string } | { value: string; max?: number } | { time: Date };
export type Line = Span[];
