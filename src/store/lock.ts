// One process per embedded store: an exclusive lock file in store.path, taken before the engine opens the directory.
//
// The embedded engine serves its data directory to one process. A second process on the same store.path used to fail
// inside the engine ("Failed to create connection for path", exit 70, seconds later). With this lock it fails at once,
// before the engine is touched, naming the process that holds the directory (StoreLockedError, exit 6).
//
// `<store.path>/driftwatch.lock` holds one JSON record: who holds the directory (pid, its start time, host, command).
// - Taken atomically: the record is written to a file of its own, then hard-linked to the lock's name. The link fails
//   when the name exists, and nobody ever reads a half-written record (where links are not supported: O_EXCL).
// - A holder that died (SIGKILL, a crash, a reboot) never blocks the next process. On the same host the holder is alive
//   while its pid exists and that pid's start time (/proc/<pid>/stat) is still the recorded one, so a reused pid does not
//   count (without /proc: the pid alone). A lock from another boot, or from another pid namespace under the same
//   hostname (the same container, restarted), is stale. A holder on another host (another container sharing the
//   volume) cannot be asked: it refreshes the file's time every 10 s and counts as alive until 30 s after the last.
// - A stale lock is replaced without a race: a process first claims that very lock (an exclusive file named after its
//   token), and only the claim's owner removes it; then every process competes again on the exclusive link. A claim
//   whose owner died in those few system calls is passed over by taking the next claim number.
// - Re-entrant within a process (the test runner and library users open and close stores repeatedly): counted per
//   directory, the file removed at the last release and, best effort, when the process exits. SIGKILL leaves it;
//   the next process finds it stale.
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, readlinkSync, realpathSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { basename, join } from 'node:path';
import { ConfigError, StoreLockedError } from '../errors.js';
import { cleanValue } from '../text.js';

/** The lock's name inside store.path. */
export const LOCK_FILE = 'driftwatch.lock';
/** How often a holder refreshes its lock's time, for processes on other hosts. */
export const HEARTBEAT_MS = 10_000;
/** A lock from another host whose time is older than this is stale (its holder would have refreshed it). */
export const FOREIGN_STALE_MS = 30_000;
/** A lock file without a readable record younger than this may be being written (O_EXCL fallback): looked at again. */
const UNREADABLE_GRACE_MS = 2_000;
/** How long taking the lock keeps trying while others replace a stale one at the same moment. */
const CONTENTION_MS = 3_000;
/** Claims on one stale lock whose owners all died mid-claim: past this many, something else is wrong. */
const MAX_CLAIMS = 32;

/** What the lock file holds. */
export interface LockRecord {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22): with the pid, which process it is. */
  startTicks?: number;
  /** /proc/sys/kernel/random/boot_id: a lock from another boot is stale. */
  bootId?: string;
  /** /proc/self/ns/pid: the pid means something only in the namespace it was taken in. */
  pidNamespace?: string;
  hostname: string;
  /** The holder's command line, for the message. */
  command: string;
  /** When the lock was taken (ISO 8601, UTC). */
  since: string;
  /** The directory (real path), and its inode: a lock copied along with the directory is no lock on the copy. */
  path: string;
  dirIno?: string;
  /** Unique to each lock taken. */
  token: string;
}

/** A hold on a directory's lock. */
export interface StoreLock {
  /** The directory's real path. */
  readonly path: string;
  /** Gives up this hold; the last one in the process removes the file. Idempotent. */
  release(): void;
}

interface Held {
  count: number;
  lockPath: string;
  /** The token of the file this process wrote; undefined when it holds the directory without a file of its own. */
  token: string | undefined;
}

interface Registry {
  held: Map<string, Held>;
  exitHook: boolean;
  heartbeat: ReturnType<typeof setInterval> | undefined;
}

/** On globalThis, so that two copies of this module in one process (a test runner's module graphs) count together. */
const REGISTRY = Symbol.for('driftwatch.store.locks');
/** Taken at load: a test's fake timers must not stop the heartbeat. */
const every = globalThis.setInterval;
const stopEvery = globalThis.clearInterval;

function registry(): Registry {
  const slot = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (slot[REGISTRY] ??= { held: new Map(), exitHook: false, heartbeat: undefined });
}

/**
 * Takes the lock on the embedded store's directory `dir` (it must exist), or another hold on it when this process
 * already has one. Throws StoreLockedError (exit 6) when another live process holds it. When no file can be written
 * there (read-only, full, not ours), only a live holder's record stops it: the engine then says what is wrong.
 */
export function lockStore(dir: string): StoreLock {
  const path = realpathSync(dir);
  const reg = registry();
  const held = reg.held.get(path);
  if (held) held.count += 1;
  else {
    const token = take(path, dir);
    reg.held.set(path, { count: 1, lockPath: join(path, LOCK_FILE), token });
    if (token !== undefined) keep(reg);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const entry = reg.held.get(path);
      if (!entry || --entry.count > 0) return;
      reg.held.delete(path);
      if (entry.token !== undefined) removeIfOurs(entry.lockPath, entry.token);
      if (reg.held.size === 0 && reg.heartbeat !== undefined) {
        stopEvery(reg.heartbeat);
        reg.heartbeat = undefined;
      }
    },
  };
}

/** Removes the process's lock files at exit (SIGKILL aside), and keeps them fresh for other hosts meanwhile. */
function keep(reg: Registry): void {
  if (!reg.exitHook) {
    reg.exitHook = true;
    process.on('exit', () => {
      for (const entry of reg.held.values()) if (entry.token !== undefined) removeIfOurs(entry.lockPath, entry.token);
    });
  }
  if (reg.heartbeat === undefined) {
    reg.heartbeat = every(() => {
      const now = new Date();
      for (const entry of reg.held.values()) {
        if (entry.token === undefined) continue;
        try {
          utimesSync(entry.lockPath, now, now);
        } catch {
          // Gone or unwritable: nothing to refresh.
        }
      }
    }, HEARTBEAT_MS);
    reg.heartbeat.unref();
  }
}

/** Takes the lock file for the directory: its token, or undefined when the process goes on without a file of its own. */
function take(path: string, shown: string): string | undefined {
  const lockPath = join(path, LOCK_FILE);
  const me = ownRecord(path);
  const text = `${JSON.stringify(me)}\n`;
  const draft = `${lockPath}.${me.token}`;
  try {
    writeFileSync(draft, text, { flag: 'wx' });
  } catch {
    refuseIfHeld(lockPath, path, shown);
    return undefined;
  }
  try {
    const deadline = Date.now() + CONTENTION_MS;
    for (;;) {
      const created = createExclusive(draft, lockPath, text);
      if (created === true) return me.token;
      if (created instanceof Error) {
        refuseIfHeld(lockPath, path, shown);
        return undefined;
      }
      const found = readLock(lockPath, shown);
      if (found) {
        const verdict = judge(found, path);
        if (verdict === 'live') throw lockedError(found, shown);
        // Another copy of this process's state (a worker thread) took it: the same process, so the same hold.
        if (verdict === 'self') return undefined;
        if (Date.now() > deadline) throw lockedError(found, shown);
        if (verdict === 'busy') pause(20);
        else if (removeStale(lockPath, found, draft, text, path) === 'unwritable') return undefined;
      }
    }
  } finally {
    tryUnlink(draft);
  }
}

/** Throws when a live process is recorded as holding the directory (used where this process cannot write a lock). */
function refuseIfHeld(lockPath: string, path: string, shown: string): void {
  const found = readLock(lockPath, shown);
  if (found && judge(found, path) === 'live') throw lockedError(found, shown);
}

/** Links the written draft to `target` (fails if it exists): true, false when it exists, or the error that stopped it. */
function createExclusive(draft: string, target: string, text: string): boolean | Error {
  try {
    linkSync(draft, target);
    return true;
  } catch (error) {
    const code = errno(error);
    if (code === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code ?? '')) return error as Error;
  }
  // A filesystem without hard links: O_EXCL (the record may be read half-written for a moment: UNREADABLE_GRACE_MS).
  try {
    writeFileSync(target, text, { flag: 'wx' });
    return true;
  } catch (error) {
    return errno(error) === 'EEXIST' ? false : (error as Error);
  }
}

/** A lock file as found: its record (undefined when unreadable), inode and time. */
interface Found {
  record: LockRecord | undefined;
  ino: string;
  mtimeMs: number;
}

function readLock(file: string, shown: string): Found | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw new ConfigError(`store.path ${shown}: cannot read its lock file ${basename(file)} (${errno(error) ?? (error as Error).message}); make it readable by this user, or point store.path elsewhere`, { cause: error });
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    return { record: parseRecord(readFileSync(fd, 'utf8')), ino: stat.ino.toString(), mtimeMs: Number(stat.mtimeMs) };
  } finally {
    closeSync(fd);
  }
}

const TOKEN = /^[0-9a-f-]{36}$/;

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return undefined;
    if (typeof r.token !== 'string' || !TOKEN.test(r.token) || typeof r.hostname !== 'string') return undefined;
    return {
      pid: r.pid as number,
      ...(Number.isSafeInteger(r.startTicks) ? { startTicks: r.startTicks as number } : {}),
      ...(typeof r.bootId === 'string' ? { bootId: r.bootId } : {}),
      ...(typeof r.pidNamespace === 'string' ? { pidNamespace: r.pidNamespace } : {}),
      hostname: r.hostname,
      command: typeof r.command === 'string' ? r.command : '?',
      since: typeof r.since === 'string' ? r.since : '?',
      path: typeof r.path === 'string' ? r.path : '?',
      ...(typeof r.dirIno === 'string' ? { dirIno: r.dirIno } : {}),
      token: r.token,
    };
  } catch {
    return undefined;
  }
}

type Verdict = 'live' | 'stale' | 'self' | 'busy';

/** Whether the lock (or claim) found in directory `path` is held by a live process. */
function judge(found: Found, path: string, now = Date.now()): Verdict {
  const r = found.record;
  if (!r) return now - found.mtimeMs < UNREADABLE_GRACE_MS ? 'busy' : 'stale';
  const here = identity();
  const dirIno = inode(path);
  if (r.dirIno !== undefined && dirIno !== undefined && r.dirIno !== dirIno) return 'stale';
  if (r.hostname !== here.hostname) return now - found.mtimeMs < FOREIGN_STALE_MS ? 'live' : 'stale';
  if (r.bootId !== undefined && here.bootId !== undefined && r.bootId !== here.bootId) return 'stale';
  if (r.pidNamespace !== undefined && here.pidNamespace !== undefined && r.pidNamespace !== here.pidNamespace) return 'stale';
  if (r.pid === process.pid) return r.startTicks === undefined || r.startTicks === here.startTicks ? 'self' : 'stale';
  return processAlive(r.pid, r.startTicks) ? 'live' : 'stale';
}

/** The pid exists and, where /proc tells, is the process that started at `startTicks` and has not exited. */
function processAlive(pid: number, startTicks: number | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if (errno(error) !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat === 'no /proc') return true;
  if (stat === undefined) return false;
  // A zombie has exited; only its parent has not collected it yet.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** State and start time from /proc/<pid>/stat; undefined when the process is gone; 'no /proc' where there is none. */
function procStat(pid: number | 'self'): { state: string; startTicks: number } | undefined | 'no /proc' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    if (pid === 'self') return 'no /proc';
    try {
      statSync('/proc/self/stat');
      return undefined;
    } catch {
      return 'no /proc';
    }
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return fields[0] && Number.isSafeInteger(startTicks) ? { state: fields[0], startTicks } : undefined;
}

interface Identity {
  hostname: string;
  startTicks: number | undefined;
  bootId: string | undefined;
  pidNamespace: string | undefined;
}

let self: Identity | undefined;

/** This process, as a lock records it (read once; pid and namespace do not change in a process's life). */
function identity(): Identity {
  if (self) return self;
  const stat = procStat('self');
  const read = (file: string, how: (f: string) => string) => {
    try {
      return how(file).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  self = {
    hostname: osHostname(),
    startTicks: typeof stat === 'object' ? stat.startTicks : undefined,
    bootId: read('/proc/sys/kernel/random/boot_id', (f) => readFileSync(f, 'utf8')),
    pidNamespace: read('/proc/self/ns/pid', readlinkSync),
  };
  return self;
}

function inode(path: string): string | undefined {
  try {
    return statSync(path, { bigint: true }).ino.toString();
  } catch {
    return undefined;
  }
}

function ownRecord(path: string): LockRecord {
  const here = identity();
  const dirIno = inode(path);
  return {
    pid: process.pid,
    ...(here.startTicks !== undefined ? { startTicks: here.startTicks } : {}),
    ...(here.bootId !== undefined ? { bootId: here.bootId } : {}),
    ...(here.pidNamespace !== undefined ? { pidNamespace: here.pidNamespace } : {}),
    hostname: here.hostname,
    command: ownCommand(),
    since: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    path,
    ...(dirIno !== undefined ? { dirIno } : {}),
    token: randomUUID(),
  };
}

/** `driftwatch daemon --config F` when run as driftwatch, else the node command line. */
function ownCommand(): string {
  const [, script, ...args] = process.argv;
  const head = script && /^driftwatch(\.js)?$/.test(basename(script)) ? ['driftwatch'] : [basename(process.execPath), ...(script ? [script] : [])];
  return cleanValue([...head, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' '), 200);
}

/**
 * Removes the stale lock `stale` if this process wins the claim on it. The claim files are named after the stale
 * lock's token, so claims on it exclude each other, and nothing else ever removes a lock that exists.
 */
function removeStale(lockPath: string, stale: Found, draft: string, text: string, path: string): 'done' | 'unwritable' {
  const id = stale.record?.token ?? `inode-${stale.ino}`;
  const claims: string[] = [];
  for (let k = 0; k < MAX_CLAIMS; k += 1) {
    const claim = `${lockPath}.${id}.claim${k}`;
    const created = createExclusive(draft, claim, text);
    if (created instanceof Error) return 'unwritable';
    if (created === false) {
      const owner = readLock(claim, path);
      // Finished (and cleaned up) meanwhile: look at the lock again.
      if (!owner) return 'done';
      const verdict = judge(owner, path);
      if (verdict === 'live' || verdict === 'busy') {
        // Another process is replacing it at this moment: look again shortly.
        pause(10);
        return 'done';
      }
      // Its owner died between claiming and finishing: the next number is free to claim.
      claims.push(claim);
      continue;
    }
    claims.push(claim);
    const now = readLock(lockPath, path);
    if (now && (now.record && stale.record ? now.record.token === stale.record.token : now.ino === stale.ino)) tryUnlink(lockPath);
    for (const c of claims) tryUnlink(c);
    return 'done';
  }
  return 'done';
}

function removeIfOurs(lockPath: string, token: string): void {
  try {
    if (parseRecord(readFileSync(lockPath, 'utf8'))?.token === token) unlinkSync(lockPath);
  } catch {
    // Best effort: gone already, or unreadable; the next process judges it stale.
  }
}

function lockedError(found: Found, shown: string): StoreLockedError {
  const r = found.record as LockRecord;
  const who = r.hostname === identity().hostname ? `pid ${r.pid}` : `pid ${r.pid} on host ${cleanValue(r.hostname)}`;
  return new StoreLockedError(
    `another driftwatch (${who}, ${cleanValue(r.command, 200)}, since ${cleanValue(r.since)}) holds store.path ${shown}; stop it or point store.path elsewhere; for several daemons use a server store (store.url)`,
    { holderPid: r.pid, path: shown },
  );
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
