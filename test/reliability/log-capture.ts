// A pino logger writing JSON lines into memory, configured like createLogger (same redaction), for asserting what a run logs.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { REDACT } from '../../src/log.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLog {
  logger: Logger;
  lines: LogLine[];
  /** Raw text of every line, for secret greps. */
  text(): string;
  /** Lines logged since `mark` (an index into `lines`). */
  since(mark: number): LogLine[];
}

export const WARN = 40;

export function captureLog(level = 'info'): CapturedLog {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level, base: undefined, redact: REDACT }, stream);
  return { logger, lines, text: () => raw.join('\n'), since: (mark) => lines.slice(mark) };
}
