// The embedded store's lock (src/store/lock.ts): a second process on the same store.path exits 6 at once naming the
// holder, before the engine is touched; a SIGKILLed holder, a dead pid or a reused pid never blocks the next process;
// a stale lock taken over by many processes at once has one winner; one process may open the same store many times.
// The child processes run the built code (dist/, `npm run build`), as the CLI tests do.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ExitCode, StoreLockedError } from '../../src/errors.js';
import { openStore, packageRoot } from '../../src/store/index.js';
import { FOREIGN_STALE_MS, LOCK_FILE, lockStore, type LockRecord } from '../../src/store/lock.js';
import { spawnDriftwatch } from '../helpers/cli.js';

const DIST = pathToFileURL(join(packageRoot, 'dist', 'src')).href;
const HAS_PROC = existsSync('/proc/self/stat');

let root: string;
beforeAll(() => {
  if (!existsSync(join(packageRoot, 'dist', 'src', 'store', 'lock.js'))) throw new Error('dist/ has no store/lock.js: run `npm run build` first');
  root = mkdtempSync(join(tmpdir(), 'driftwatch-lock-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function freshDir(): string {
  const dir = join(root, `store-${dirs++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const lockFile = (dir: string) => join(dir, LOCK_FILE);
const readRecord = (dir: string) => JSON.parse(readFileSync(lockFile(dir), 'utf8')) as LockRecord;

/** A node child running `body` (an ES module with `dist` and `dir` defined); resolves once it printed `ready`. */
async function child(body: string, dir: string, name: string): Promise<{ proc: ChildProcess; out: () => string; exited: Promise<number | null> }> {
  const file = join(root, `${name}.mjs`);
  writeFileSync(file, `const dist = ${JSON.stringify(DIST)};\nconst dir = process.argv[2];\n${body}\n`);
  const proc = spawn(process.execPath, [file, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not get ready: ${out}`)), 30_000);
    const check = () => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      if (!out.includes('ready')) reject(new Error(`${name} exited before it was ready: ${out}`));
    });
  });
  return { proc, out: () => out, exited };
}

/** Holds the embedded store at `dir` (the engine open, the source and own tables created) until killed. */
const HOLDER = `
const { openStore, parseConfig, ensureTables } = await import(dist + '/index.js');
const config = parseConfig({ store: { path: dir } });
const store = openStore(config);
await ensureTables(store, config, { sources: true });
console.log('ready');
setInterval(() => {}, 60_000);
`;

function configFor(dir: string): string {
  const file = join(root, `config-${dirs++}.yaml`);
  writeFileSync(file, `store: { path: ${JSON.stringify(dir)} }\n`);
  return file;
}

const cli = (args: string[]) => spawnDriftwatch(args, { ...process.env, DRIFTWATCH_LOG_LEVEL: 'warn' });

describe('two processes on one embedded store', () => {
  let data: string;
  let config: string;
  let holder: Awaited<ReturnType<typeof child>>;

  beforeAll(async () => {
    data = freshDir();
    config = configFor(data);
    holder = await child(HOLDER, data, 'holder');
  });
  afterAll(() => {
    holder?.proc.kill('SIGKILL');
  });

  it('the second exits 6 at once, in one line naming the holder (pid, command, since when), before the engine is touched', async () => {
    const version = await cli(['--version']);
    const result = await cli(['run', '--once', '--config', config]);
    expect(result.code, result.stderr).toBe(ExitCode.storeLocked);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^driftwatch: another driftwatch \\(pid ${holder.proc.pid}, node \\S*holder\\.mjs \\S+, since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\) holds store\\.path ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; stop it or point store\\.path elsewhere; for several daemons use a server store \\(store\\.url\\)$`,
      ),
    );
    // The engine was not asked: it would have said "Cannot lock file …/status" and "Failed to create connection".
    expect(result.stderr).not.toMatch(/status|Failed to create connection|unexpected/);
    // As fast as starting the CLI at all (--version), not the engine's seconds.
    expect(result.ms).toBeLessThan(Math.max(2_000, version.ms + 1_000));
    // The holder's lock is untouched.
    expect(readRecord(data).pid).toBe(holder.proc.pid);
  });

  it('after SIGKILL of the holder, the next command runs as usual (the lock it left is stale) and releases the lock at exit', async () => {
    holder.proc.kill('SIGKILL');
    await holder.exited;
    expect(readRecord(data).pid, 'SIGKILL leaves the file').toBe(holder.proc.pid);
    const result = await cli(['run', '--once', '--json', '--config', config, '--at', '2026-11-20T12:00:00Z']);
    // The cycle ran: 0, or 1 for what it found in the empty tables.
    expect([0, 1], result.stderr).toContain(result.code);
    expect(JSON.parse(result.stdout).at).toBe('2026-11-20T12:00:00.000Z');
    expect(existsSync(lockFile(data)), 'released when the command exited').toBe(false);
  });
});

/** A record as this process would write it for `dir` (its host, boot, namespace), changed by `change`. */
function recordFor(dir: string, change: Partial<LockRecord>): LockRecord {
  const scratch = freshDir();
  const lock = lockStore(scratch);
  const mine = readRecord(scratch);
  lock.release();
  const { dirIno: _ignored, ...rest } = mine;
  return { ...rest, path: dir, command: 'driftwatch daemon --config old.yaml', token: randomUUID(), ...change };
}

function writeLock(dir: string, record: LockRecord | string, ageMs = 0): void {
  writeFileSync(lockFile(dir), typeof record === 'string' ? record : JSON.stringify(record));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    utimesSync(lockFile(dir), then, then);
  }
}

/** Takes the lock on `dir` and checks that it now names this process; releases it. */
function takesOver(dir: string): void {
  const lock = lockStore(dir);
  try {
    expect(readRecord(dir).pid).toBe(process.pid);
  } finally {
    lock.release();
  }
  expect(existsSync(lockFile(dir))).toBe(false);
}

/** The pid of a process that has exited (and been collected). */
async function deadPid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.on('exit', resolve));
  return gone.pid!;
}

function startTicksOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
}

describe('a lock left behind never blocks', () => {
  it('a dead pid', async () => {
    const dir = freshDir();
    writeLock(dir, recordFor(dir, { pid: await deadPid(), startTicks: HAS_PROC ? 1 : undefined }));
    takesOver(dir);
  });

  it('a takeover whose process died half-way (its claim on the stale lock left behind); nothing is left after', async () => {
    const dir = freshDir();
    const stale = recordFor(dir, { pid: await deadPid() });
    writeLock(dir, stale);
    writeFileSync(`${lockFile(dir)}.${stale.token}.claim0`, JSON.stringify(recordFor(dir, { pid: await deadPid() })));
    takesOver(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.skipIf(!HAS_PROC)('a live pid that started at another time (the pid was reused); the same pid and start time does block', () => {
    const dir = freshDir();
    const pid = process.ppid;
    const ticks = startTicksOf(pid);
    writeLock(dir, recordFor(dir, { pid, startTicks: ticks + 1 }));
    takesOver(dir);

    writeLock(dir, recordFor(dir, { pid, startTicks: ticks, since: '2026-12-01T08:00:00Z' }));
    const error = (() => {
      try {
        lockStore(dir);
      } catch (e) {
        return e;
      }
    })() as StoreLockedError;
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error.exitCode).toBe(6);
    expect(error.holderPid).toBe(pid);
    expect(error.message).toBe(
      `another driftwatch (pid ${pid}, driftwatch daemon --config old.yaml, since 2026-12-01T08:00:00Z) holds store.path ${dir}; stop it or point store.path elsewhere; for several daemons use a server store (store.url)`,
    );
    expect(readRecord(dir).pid, 'the live lock is left alone').toBe(pid);
  });

  it.skipIf(!HAS_PROC)('a lock from another boot, or another pid namespace under this hostname (the container restarted)', () => {
    const dir = freshDir();
    const pid = process.ppid;
    writeLock(dir, recordFor(dir, { pid, startTicks: startTicksOf(pid), bootId: 'another-boot' }));
    takesOver(dir);
    writeLock(dir, recordFor(dir, { pid, startTicks: startTicksOf(pid), pidNamespace: 'pid:[1]' }));
    takesOver(dir);
  });

  it('a lock copied along with the directory (another inode) is no lock on the copy', () => {
    const dir = freshDir();
    writeLock(dir, recordFor(dir, { pid: process.ppid, startTicks: HAS_PROC ? startTicksOf(process.ppid) : undefined, dirIno: '1' }));
    takesOver(dir);
  });

  it('a lock from another host blocks while its holder refreshes it, and lapses after', () => {
    const dir = freshDir();
    writeLock(dir, recordFor(dir, { hostname: 'elsewhere', pid: 4242 }));
    expect(() => lockStore(dir)).toThrow(/^another driftwatch \(pid 4242 on host elsewhere, driftwatch daemon/);
    writeLock(dir, recordFor(dir, { hostname: 'elsewhere', pid: 4242 }), FOREIGN_STALE_MS + 5_000);
    takesOver(dir);
  });

  it('an unreadable lock file, once it is not being written', () => {
    const dir = freshDir();
    writeLock(dir, '{"pid": 12', 10_000);
    takesOver(dir);
  });

  it('a normal exit removes the lock (the exit hook)', async () => {
    const dir = freshDir();
    const exits = await child(`const { lockStore } = await import(dist + '/store/lock.js');\nlockStore(dir);\nconsole.log('ready');\nsetTimeout(() => process.exit(0), 100);`, dir, 'exits');
    expect(await exits.exited).toBe(0);
    expect(existsSync(lockFile(dir))).toBe(false);
  });
});

describe('a stale lock taken over by many processes at once', () => {
  it('has exactly one winner; every other process is refused naming it', async () => {
    const N = 8;
    for (let round = 0; round < 2; round++) {
      const dir = freshDir();
      writeLock(dir, recordFor(dir, { pid: await deadPid(), startTicks: HAS_PROC ? 1 : undefined }));
      const startAt = Date.now() + 1_500;
      // Each child loads the module, waits for the same instant, then tries; the winner holds until its stdin closes,
      // after every other has tried.
      const body = `const { lockStore } = await import(dist + '/store/lock.js');
console.log('ready');
while (Date.now() < ${startAt}) {}
try { lockStore(dir); console.log('won ' + process.pid); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); }
catch (e) { console.log('refused ' + e.holderPid + ' ' + e.exitCode); process.exit(0); }`;
      const children = await Promise.all(Array.from({ length: N }, (_, i) => child(body, dir, `racer-${round}-${i}`)));
      const last = (c: (typeof children)[number]) => c.out().trim().split('\n').pop()!;
      const until = Date.now() + 20_000;
      while (!children.every((c) => /^(won|refused) /.test(last(c))) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      const outs = children.map(last);
      for (const c of children) c.proc.stdin!.end();
      await Promise.all(children.map((c) => c.exited));
      const winners = outs.filter((o) => o.startsWith('won '));
      expect(winners, outs.join('\n')).toHaveLength(1);
      const winner = Number(winners[0]!.slice(4));
      expect(outs.filter((o) => o === `refused ${winner} 6`), outs.join('\n')).toHaveLength(N - 1);
      expect(readdirSync(dir), 'the winner released it at exit; no claim or draft is left').toEqual([]);
    }
  });
});

describe('one process, one store opened many times', () => {
  it('counts its holds: the lock stays until the last store closes, and comes back on the next open', async () => {
    const dir = freshDir();
    const config = parseConfig({ store: { path: dir } });
    const a = openStore(config);
    const b = openStore(config);
    expect(await a.select('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    expect(await b.select('SELECT 2 AS x')).toEqual([{ x: 2 }]);
    const token = readRecord(dir).token;
    expect(readRecord(dir).pid).toBe(process.pid);
    await a.close();
    await a.close(); // a second close of the same store does not give up the other's hold
    expect(readRecord(dir).token, 'b still holds it').toBe(token);
    expect(await b.select('SELECT 3 AS x')).toEqual([{ x: 3 }]);
    await b.close();
    expect(existsSync(lockFile(dir))).toBe(false);
    for (let i = 0; i < 3; i++) {
      const c = openStore(config);
      expect(await c.select('SELECT 4 AS x')).toEqual([{ x: 4 }]);
      expect(readRecord(dir).pid).toBe(process.pid);
      await c.close();
      expect(existsSync(lockFile(dir))).toBe(false);
    }
  });

  it('lockStore holds are counted and each release counts once', () => {
    const dir = freshDir();
    const one = lockStore(dir);
    const two = lockStore(dir);
    one.release();
    one.release();
    expect(readRecord(dir).pid).toBe(process.pid);
    two.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });
});
