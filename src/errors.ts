// Errors a user can cause, each mapped to the CLI's documented exit code.

/** Exit codes of the CLI (DESIGN.md). */
export const ExitCode = {
  ok: 0,
  finding: 1,
  usage: 2,
  storeUnreachable: 3,
  /** A delivery target (SMTP for `report --send`) is unreachable or refused the message; it stays queued. */
  sinkUnreachable: 4,
} as const;

/** Base class: a message meant for a person, and the exit code it maps to. */
export class DriftwatchError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad configuration or command-line usage (exit 2). */
export class ConfigError extends DriftwatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
  }
}

/** The data store cannot be reached (exit 3). */
export class StoreUnreachableError extends DriftwatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.storeUnreachable, options);
  }
}

/** A sink (SMTP, Slack) cannot be reached or refused the message; what was to be sent is kept and retried (exit 4). */
export class SinkUnreachableError extends DriftwatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.sinkUnreachable, options);
  }
}

/** The store answered, but a query failed (schema mismatch, bad SQL, …). */
export class StoreQueryError extends DriftwatchError {
  readonly code: string | undefined;
  readonly queryName: string;
  constructor(queryName: string, message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(`query ${queryName} failed: ${message}`, ExitCode.usage, options);
    this.code = code;
    this.queryName = queryName;
  }
}
