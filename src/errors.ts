// Errors a user can cause, each mapped to the CLI's documented exit code.

/** Exit codes of the CLI (README, "Commands"). */
export const ExitCode = {
  ok: 0,
  finding: 1,
  usage: 2,
  storeUnreachable: 3,
  /** A delivery target (SMTP for `report --send`) is unreachable or refused the message; it stays queued. */
  sinkUnreachable: 4,
  /**
   * The store is reachable but cannot finish a statement: it ran past store.statementTimeout, waited on a
   * mutation that cannot run, or met a full disk. Not 2 (nothing to fix in the config or command) nor 3 (the
   * store answers): what helps is freeing the disk, clearing the stuck mutation, or a longer timeout.
   */
  storeStalled: 5,
  /**
   * Another live process holds the embedded store's directory (store.path), which the embedded engine serves to one
   * process only. Found before the engine is touched, so it is immediate; what helps is stopping that process,
   * another store.path, or a server store (store.url) for several processes.
   */
  storeLocked: 6,
  /** Anything else: a bug (README lists it). */
  unexpected: 70,
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

/** Another live driftwatch holds the embedded store's store.path (exit 6); the message names it: pid, command, since when. */
export class StoreLockedError extends DriftwatchError {
  /** The holder's pid (on its own host). */
  readonly holderPid: number;
  /** The data directory it holds. */
  readonly path: string;
  constructor(message: string, details: { holderPid: number; path: string }, options?: { cause?: unknown }) {
    super(message, ExitCode.storeLocked, options);
    this.holderPid = details.holderPid;
    this.path = details.path;
  }
}

/** The store answered, but a query failed (schema mismatch, bad SQL, …). */
export class StoreQueryError extends DriftwatchError {
  readonly code: string | undefined;
  readonly queryName: string;
  constructor(queryName: string, message: string, code: string | undefined, options?: { cause?: unknown }, exitCode: number = ExitCode.usage) {
    super(`query ${queryName} failed: ${message}`, exitCode, options);
    this.code = code;
    this.queryName = queryName;
  }
}

/** Why a statement could not finish: past its time limit, held by a mutation that cannot run, or a full disk. */
export type StallReason = 'timeout' | 'mutation' | 'diskFull';

/**
 * A statement the store could not finish (exit 5). Still a StoreQueryError, so code that handles failed
 * queries handles these too; the message names the statement, the cause and the fix.
 */
export class StoreStalledError extends StoreQueryError {
  readonly reason: StallReason;
  /** The disk that is full (a data path), when that is the cause. */
  readonly diskPath: string | undefined;
  /**
   * The engine did not stop the statement at the limit and was left running it: the embedded engine's
   * worker thread keeps the process alive until it ends, so a command exits without waiting for it.
   */
  readonly abandoned: boolean;
  constructor(
    queryName: string,
    message: string,
    code: string | undefined,
    details: { reason: StallReason; diskPath?: string; abandoned?: boolean },
    options?: { cause?: unknown },
  ) {
    super(queryName, message, code, options, ExitCode.storeStalled);
    this.reason = details.reason;
    this.diskPath = details.diskPath;
    this.abandoned = details.abandoned ?? false;
  }
}
