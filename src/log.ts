// Structured logging: pino JSON to stderr, pretty-printed when stderr is a terminal.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  level?: string;
  /** Force pretty output (default: when stderr is a TTY). */
  pretty?: boolean;
}

/** Values whose names look secret are replaced before a line is written. */
export const REDACT = ['password', '*.password', 'token', '*.token', 'smtpUrl', '*.smtpUrl', 'authorization', '*.authorization'];

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.DRIFTWATCH_LOG_LEVEL ?? 'info';
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      level,
      redact: REDACT,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino({ level, redact: REDACT, base: undefined }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that writes nothing, for library callers and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
