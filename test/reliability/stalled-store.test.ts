// A store that cannot finish: a real full disk under the embedded engine (a small tmpfs) and a real remote server past its limit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { ExitCode } from '../../src/errors.js';
import { ensureTables } from '../../src/setup.js';
import { openStore, type Store } from '../../src/store/index.js';
import { clickhouseServerCommand, startClickHouseServer, type ClickHouseServer } from '../helpers/clickhouse-server.js';
import { AT, seedSmallFixture } from '../helpers/fixture.js';
import type { TempStore } from '../helpers/store.js';
import { stalledFailure as stalled } from '../helpers/failures.js';

const TIMEOUT_MS = 2_000;
/** The engine notices its limit between blocks, and the diagnosis reads a few system tables. */
const SLACK_MS = 2_000;
const MiB = 1024 * 1024;

/**
 * A 64 MiB tmpfs of our own: filling it is a real "no space left" for the engine, and harms no other disk.
 * Mounting needs root with CAP_SYS_ADMIN (our CI and this sandbox have it; a plain container may not).
 */
const root = mkdtempSync(join(tmpdir(), 'driftwatch-diskfull-'));
const mount = join(root, 'disk');
const mounted = (() => {
  spawnSync('mkdir', ['-p', mount]);
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mount], { encoding: 'utf8' });
  return result.status === 0 ? undefined : (result.stderr || result.error?.message || `mount exited ${result.status}`).trim();
})();
if (mounted !== undefined) console.warn(`cannot mount a tmpfs (needs root with CAP_SYS_ADMIN: ${mounted}): disk-full tests SKIPPED`);

const installed = clickhouseServerCommand() !== undefined;
if (!installed) console.warn('clickhouse-server is not installed (Debian: apt-get install clickhouse-server): remote statement-timeout test SKIPPED');

afterAll(() => {
  if (mounted === undefined && spawnSync('umount', [mount]).status !== 0) spawnSync('umount', ['-l', mount]);
  rmSync(root, { recursive: true, force: true });
});

function freeBytes(): number {
  const s = statfsSync(mount);
  return s.bavail * s.bsize;
}

/** Leaves about `keep` bytes free on the tmpfs (fallocate takes the rest in one file per call). */
let fillers = 0;
function fillLeaving(keep: number): void {
  const take = freeBytes() - keep;
  if (take <= 0) return;
  const result = spawnSync('fallocate', ['-l', String(take), join(mount, `filler-${fillers++}`)], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}


describe.skipIf(mounted !== undefined)('a full disk under the embedded store (a real tmpfs)', () => {
  const path = join(mount, 'data');
  let config: Config;
  let store: Store;

  beforeAll(async () => {
    config = parseConfig({ store: { path, statementTimeout: '2s' } });
    store = openStore(config);
    // Every table driftwatch keeps exists before the disk fills (on a full disk the engine may "create" a table
    // with an empty metadata file, and the failure shows up at the next statement instead).
    await ensureTables(store, config);
    await seedSmallFixture({ store, config, dir: root } as TempStore);
    // One 6 MiB part of incompressible data: rewriting it for a mutation needs 1.1 × that free.
    await store.command('CREATE TABLE big (k UInt64, s String) ENGINE = MergeTree ORDER BY k');
    await store.command('INSERT INTO big SELECT number, randomString(1000) FROM numbers(6000)');
    fillLeaving(2 * MiB);
  });
  afterAll(() => store?.close());

  it('an insert fails at once naming the disk and its free space', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ k: i, s: 'x'.repeat(1000) }));
    const { error, ms } = await stalled(() => store.insert('big', rows, 'ingest scoring_events'));
    expect(ms).toBeLessThan(SLACK_MS);
    expect(error.reason).toBe('diskFull');
    expect(error.diskPath).toBe(`${path}/`);
    expect(error.message).toMatch(new RegExp(`^query ingest scoring_events failed: disk full at ${path}/ \\(\\d+\\.\\d MiB free; ClickHouse: Cannot reserve [\\d.]+ MiB, not enough space\\.?\\); free space on that disk \\(or move store\\.path to a larger one\\), then run the command again$`));
  });

  it('an INSERT … SELECT fails at once naming the disk', async () => {
    const { error, ms } = await stalled(() => store.command('INSERT INTO big SELECT number, randomString(1000) FROM numbers(3000)', {}, 'rollup fold'));
    expect(ms).toBeLessThan(SLACK_MS);
    expect(error.message).toMatch(new RegExp(`^query rollup fold failed: disk full at ${path}/ `));
  });

  it('a DELETE whose mutation the full disk keeps from starting fails within store.statementTimeout, naming the disk, and is cancelled', async () => {
    const { error, ms } = await stalled(() => store.command('DELETE FROM `big` WHERE k < {k:UInt64}', { k: 10 }, 'rollup drop superseded'));
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(error.reason).toBe('diskFull');
    expect(error.diskPath).toBe(`${path}/`);
    expect(error.message).toMatch(
      new RegExp(
        `^query rollup drop superseded failed: disk full at ${path}/ \\(\\d+\\.\\d MiB free; the mutation needs 6\\.\\d MiB to rewrite part all_1_1_0, so ClickHouse never started it, and the statement timed out after \\d+\\.\\d s \\(store\\.statementTimeout 2s\\)\\); its mutation mutation_\\d+\\.txt was cancelled`,
      ),
    );
    const left = await store.select('SELECT mutation_id FROM system.mutations WHERE table = {t:String} AND NOT is_done', { t: 'big' });
    expect(left).toEqual([]);
  });

  it('`driftwatch rollup --rebuild` on the full disk exits 5 with one line naming the disk, within the bound', async () => {
    fillLeaving(16 * 1024);
    const file = join(root, 'config.yaml');
    writeFileSync(file, `store:\n  path: ${path}\n  statementTimeout: 2s\n`);
    const out = { stdout: '', stderr: '' };
    const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
    const capture = (key: 'stdout' | 'stderr') => ((chunk: string | Uint8Array) => ((out[key] += chunk.toString()), true)) as typeof process.stdout.write;
    process.stdout.write = capture('stdout');
    process.stderr.write = capture('stderr');
    const started = Date.now();
    let code: number;
    try {
      code = await main(['node', 'driftwatch', 'rollup', '--rebuild', '--config', file, '--at', AT.toISOString()]);
    } finally {
      process.stdout.write = saved.stdout;
      process.stderr.write = saved.stderr;
    }
    const ms = Date.now() - started;
    expect(code, out.stderr).toBe(ExitCode.storeStalled);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines, out.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^driftwatch: query [a-z_ ]+ failed: disk full at ${path}/ \\(.*; free space on that disk \\(or move store\\.path to a larger one\\), then run the command again$`));
    // Every statement of the rebuild is bounded; failing fast on the first write, it takes nowhere near that.
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });
});

describe.skipIf(!installed)('a remote server past store.statementTimeout (real clickhouse-server)', () => {
  let server: ClickHouseServer;
  let store: Store;
  beforeAll(async () => {
    server = await startClickHouseServer();
    store = openStore(parseConfig({ store: { url: server.url, statementTimeout: '1s', retries: 0 } }));
  });
  afterAll(async () => {
    await store?.close();
    await server?.cleanup();
  });

  it('the server takes the bound (even an old one) and stops a long statement at it: exit 5 naming the query, not "unreachable"', async () => {
    expect(await store.select<{ x: number }>('SELECT 1 AS x', {}, 'probe')).toEqual([{ x: 1 }]);
    const { error, ms } = await stalled(() => store.select('SELECT sum(cityHash64(number)) AS s FROM numbers(100000000000)', {}, 'monitor psi'));
    expect(ms).toBeLessThan(1_000 + SLACK_MS);
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/^query monitor psi failed: timed out after \d+\.\d s: ClickHouse stops statements at store\.statementTimeout 1s; raise store\.statementTimeout/);
  });
});
