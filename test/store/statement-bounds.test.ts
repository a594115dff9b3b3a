// Bounded waits on the real embedded engine: a statement past store.statementTimeout, a stuck mutation, and the message mapping.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ABANDONED_EXIT_DELAY_MS, reportError } from '../../src/cli/common.js';
import { parseConfig } from '../../src/config/index.js';
import { ExitCode, StoreQueryError, StoreStalledError } from '../../src/errors.js';
import { isUnreachable } from '../../src/store/index.js';
import { boundSettings, classifyStall, diskTooFull, engineFailure, engineLimitMs, mutationTarget, parseTableRef, pathInMessage, statementBounds, writeTarget } from '../../src/store/bounds.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { stalledFailure as failure } from '../helpers/failures.js';

const TIMEOUT_MS = 1_000;
/** What the engine may overrun the limit by before it notices (it checks between blocks), plus the diagnosis. */
const SLACK_MS = 1_500;

let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ store: { statementTimeout: '1s' } });
});
afterAll(() => t.cleanup());


async function pending(table: string): Promise<{ mutation_id: string; command: string }[]> {
  return t.store.select('SELECT mutation_id, command FROM system.mutations WHERE database = currentDatabase() AND table = {table:String} AND NOT is_done ORDER BY mutation_id', { table });
}

describe('a statement past store.statementTimeout', () => {
  it('a SELECT fails within the bound, naming the query and the setting; the next query reads clean rows', async () => {
    const { error, ms } = await failure(() => t.store.select('SELECT sleepEachRow(0.05) AS slept FROM numbers(200) SETTINGS max_block_size = 1', {}, 'slow probe'));
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(error.reason).toBe('timeout');
    expect(error.queryName).toBe('slow probe');
    expect(error.code).toBe('159');
    expect(error.message).toMatch(/^query slow probe failed: timed out after \d+\.\d s: ClickHouse stops statements at store\.statementTimeout 1s; raise store\.statementTimeout/);
    // The partial rows of the stopped SELECT must not reach the next caller (chdb hands them to the next query).
    expect(await t.store.select<{ x: number }>('SELECT 1 AS x')).toEqual([{ x: 1 }]);
  });

  it('an INSERT … SELECT fails within the bound too', async () => {
    await t.store.command('CREATE TABLE bounded_sink (n UInt64) ENGINE = MergeTree ORDER BY n');
    const { error, ms } = await failure(() =>
      t.store.command('INSERT INTO bounded_sink SELECT number FROM numbers(200) WHERE sleepEachRow(0.05) = 0 SETTINGS max_block_size = 1', {}, 'rollup fold'),
    );
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(error.message).toMatch(/^query rollup fold failed: timed out after/);
  });

  it('statements sent together each get the whole bound: waiting behind another does not count', async () => {
    // Eight reads of 0.4 s sent at once take 3.2 s in all, past the 2 s backstop if it counted from the call; each
    // stays well inside its own 1 s bound even on a loaded machine.
    const read = (i: number) => t.store.select<{ i: number }>(`SELECT ${i} AS i, sum(sleepEachRow(0.05)) AS slept FROM numbers(8) SETTINGS max_block_size = 1`, {}, `read ${i}`);
    const ids = [0, 1, 2, 3, 4, 5, 6, 7];
    const rows = await Promise.all(ids.map(read));
    expect(rows.map((r) => r[0]?.i)).toEqual(ids);
  });

  it('statements that finish in time are unaffected, and the bound travels with store.client calls as well', async () => {
    expect(await t.store.select<{ n: number }>('SELECT count() AS n FROM numbers(1000)')).toEqual([{ n: 1000 }]);
    const rows = (await (await t.store.client.query({ query: "SELECT name, value FROM system.settings WHERE name IN ('max_execution_time', 'lock_acquire_timeout', 'timeout_overflow_mode') ORDER BY name", format: 'JSONEachRow' })).json()) as { name: string; value: string }[];
    expect(rows).toEqual([
      { name: 'lock_acquire_timeout', value: '1' },
      { name: 'max_execution_time', value: '1' },
      { name: 'timeout_overflow_mode', value: 'throw' },
    ]);
  });
});

describe('a mutation that cannot finish', () => {
  beforeAll(async () => {
    await t.store.command('CREATE TABLE stuck (k UInt64, v UInt64) ENGINE = MergeTree ORDER BY k');
    await t.store.command('INSERT INTO stuck SELECT number, number FROM numbers(1000)');
  });

  it('a lightweight DELETE whose mutation the engine never runs fails within the bound, and its mutation is cancelled', async () => {
    // With merges stopped the engine queues the mutation and never starts it: what a full disk or a busy pool does too.
    await t.store.command('SYSTEM STOP MERGES stuck');
    try {
      const { error, ms } = await failure(() => t.store.command('DELETE FROM `stuck` WHERE k < {k:UInt64}', { k: 10 }, 'rollup drop superseded'));
      expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(error.reason).toBe('timeout');
      expect(error.message).toMatch(/^query rollup drop superseded failed: timed out after \d+\.\d s \(store\.statementTimeout 1s\) waiting for its mutation on stuck \(1 part still to do, no error recorded/);
      expect(error.message).toMatch(/its mutation mutation_\d+\.txt was cancelled \(KILL MUTATION\), so nothing of it runs later/);
      expect(error.message).toContain('SYSTEM START MERGES');
      expect(await pending('stuck')).toEqual([]);
    } finally {
      await t.store.command('SYSTEM START MERGES stuck');
    }
    // The cancelled DELETE never runs: every row is still there once merges are back.
    await t.store.command('OPTIMIZE TABLE stuck FINAL');
    expect(await t.store.select<{ n: number }>('SELECT count() AS n FROM stuck')).toEqual([{ n: 1000 }]);
    // And the table takes the next DELETE at once.
    await t.store.command('DELETE FROM `stuck` WHERE k < 5', {}, 'rollup drop superseded');
    expect(await t.store.select<{ n: number }>('SELECT count() AS n FROM stuck')).toEqual([{ n: 995 }]);
  });

  it('a DELETE queued behind a failing mutation names that mutation and how to kill it, and cancels only its own', async () => {
    await t.store.client.command({ query: 'ALTER TABLE stuck UPDATE v = throwIf(k = 500) WHERE 1', clickhouse_settings: { mutations_sync: '0' } });
    const [blocker] = await pending('stuck');
    expect(blocker).toBeDefined();
    // Wait until the engine has tried it and recorded why it fails.
    for (let i = 0; i < 100; i++) {
      const rows = await t.store.select<{ reason: string }>("SELECT latest_fail_reason AS reason FROM system.mutations WHERE table = 'stuck' AND NOT is_done");
      if (rows[0]?.reason) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    const { error, ms } = await failure(() => t.store.command('DELETE FROM `stuck` WHERE k < 20', {}, 'rollup ledger drop'));
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(error.reason).toBe('mutation');
    const id = blocker?.mutation_id as string;
    expect(error.message).toContain(`query rollup ledger drop failed: its mutation on stuck cannot run, queued behind mutation ${id}`);
    expect(error.message).toContain('which fails: Code: 395');
    expect(error.message).toContain(`KILL MUTATION WHERE database = 'default' AND table = 'stuck' AND mutation_id = '${id}'`);
    expect(error.message).toMatch(/its mutation mutation_\d+\.txt was cancelled/);
    // Only the blocker is left: driftwatch cancels what it started, not what it found.
    expect((await pending('stuck')).map((m) => m.mutation_id)).toEqual([id]);
    // The fix the message gives works.
    await t.store.command(`KILL MUTATION WHERE database = 'default' AND table = 'stuck' AND mutation_id = '${id}'`);
    await t.store.command('DELETE FROM `stuck` WHERE k < 20', {}, 'rollup ledger drop');
    expect(await t.store.select<{ n: number }>('SELECT count() AS n FROM stuck')).toEqual([{ n: 980 }]);
  });
});

describe('an engine that does not stop at the limit', () => {
  it('is no longer waited for a grace period later (the embedded backstop), and the store works again once it lets go', async () => {
    const bounds = statementBounds(TIMEOUT_MS);
    // A query-level setting overrides the bound, standing in for an engine stuck where it does not check its limit.
    const { error, ms } = await failure(() => t.store.select('SELECT sleepEachRow(0.1) AS slept FROM numbers(40) SETTINGS max_block_size = 1, max_execution_time = 0', {}, 'stuck probe'));
    expect(ms).toBeGreaterThanOrEqual(bounds.backstopMs - 50);
    expect(ms).toBeLessThan(bounds.backstopMs + 1_000);
    expect(error.abandoned).toBe(true);
    expect(error.message).toMatch(/^query stuck probe failed: no answer after \d+\.\d s, past store\.statementTimeout 1s: the embedded engine did not stop the statement/);
    // The engine finishes the abandoned query (4 s) on its own; later statements wait for it, then read clean rows.
    await new Promise((done) => setTimeout(done, 4_000 - ms + 200));
    expect(await t.store.select<{ x: number }>('SELECT 2 AS x')).toEqual([{ x: 2 }]);
  });
});

describe('the mapping from engine errors', () => {
  const engineError = (code: string, message: string) => Object.assign(new Error(message), { code, type: 'X' });

  it('tells a full disk, a timeout, a lock wait and a failing mutation apart, and leaves other errors alone', () => {
    const stall = (code: string, message: string) => classifyStall(engineFailure(engineError(code, message)));
    expect(stall('243', 'Cannot reserve 1.00 MiB, not enough space.')).toBe('diskFull');
    expect(stall('75', 'Cannot write to file /var/lib/clickhouse/store/abc/tmp_insert_all_1_1_0/data.bin, errno: 28, strerror: No space left on device')).toBe('diskFull');
    expect(stall('1001', 'std::__1::__fs::filesystem::filesystem_error: filesystem error: in create_directories: No space left on device ["/data/store/x"]')).toBe('diskFull');
    expect(stall('341', "Exception happened during execution of mutation 'mutation_3.txt' with part 'all_1_1_0' reason: 'Code: 243. DB::Exception: Cannot reserve 6.00 MiB, not enough space'")).toBe('diskFull');
    expect(stall('159', 'Timeout exceeded: elapsed 1009.953 ms, maximum: 1000 ms.')).toBe('timeout');
    expect(stall('160', 'Estimated query execution time (123.4 seconds) is too long. Maximum: 60.')).toBe('timeout');
    expect(stall('160', 'The maximum sleep time is 3000000 microseconds.')).toBeUndefined();
    expect(stall('473', 'WRITE locking attempt on "default.t" has timed out! (1000ms) Possible deadlock avoided.')).toBe('lock');
    expect(stall('341', "Exception happened during execution of mutation 'mutation_2.txt' with part 'all_1_1_0' reason: 'Code: 395. Value passed to throwIf'")).toBe('mutation');
    expect(stall('60', 'Unknown table expression identifier')).toBeUndefined();
    expect(stall('241', 'Memory limit (total) exceeded: would use 9.31 GiB, maximum: 9.31 GiB')).toBeUndefined();
    expect(stall('159', 'Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.000000042 seconds, maximum: 1, e.what() = DB::Exception')).toBe('timeout');
    // A message in the engine's format that an adapter did not parse still counts.
    expect(classifyStall(engineFailure(new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)')))).toBe('diskFull');
  });

  it('reads the limit a timeout names, in either wording', () => {
    expect(engineLimitMs('Timeout exceeded: elapsed 1009.953 ms, maximum: 1000 ms.')).toBe(1000);
    expect(engineLimitMs('Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.000000042 seconds, maximum: 1, e.what() = DB::Exception')).toBe(1000);
    expect(engineLimitMs('Timeout exceeded')).toBeUndefined();
  });

  it('finds the path a "no space" message names', () => {
    expect(pathInMessage('Cannot write to file /var/lib/clickhouse/store/abc/data.bin, errno: 28')).toBe('/var/lib/clickhouse/store/abc/data.bin');
    expect(pathInMessage('in create_directories: No space left on device ["/data/store/x"]')).toBe('/data/store/x');
    expect(pathInMessage('Cannot reserve 1.00 MiB, not enough space.')).toBeUndefined();
  });

  it('an engine "Timeout exceeded" is an answer, not an unreachable store', () => {
    expect(isUnreachable(engineError('159', 'Timeout exceeded: elapsed 1009.953 ms, maximum: 1000 ms.'))).toBe(false);
    expect(isUnreachable(Object.assign(new Error('Timeout error.'), { code: 'ETIMEDOUT' }))).toBe(true);
  });

  it('knows which statements wait for a mutation and which table a statement writes', () => {
    expect(mutationTarget('DELETE FROM `driftwatch_rollup_psi` WHERE hour >= {from:DateTime64(3)}')).toEqual({ database: '', table: 'driftwatch_rollup_psi' });
    expect(mutationTarget('  -- why\n/* a comment */ ALTER TABLE `db`.`t` MATERIALIZE INDEX i')).toEqual({ database: 'db', table: 't' });
    expect(mutationTarget('TRUNCATE TABLE IF EXISTS `t`')).toBeUndefined();
    expect(mutationTarget('SELECT 1')).toBeUndefined();
    expect(writeTarget('TRUNCATE TABLE IF EXISTS `t`')).toEqual({ database: '', table: 't' });
    expect(writeTarget('-- fold\nINSERT INTO `pay`.`rollup` (hour) SELECT 1')).toEqual({ database: 'pay', table: 'rollup' });
    expect(parseTableRef('`payments`.`driftwatch_outbox`')).toEqual({ database: 'payments', table: 'driftwatch_outbox' });
    expect(parseTableRef('outcomes')).toEqual({ database: '', table: 'outcomes' });
  });

  it('calls a disk full when it cannot hold 1.1 × the part a mutation must rewrite (and 1 MiB at least)', () => {
    const disks = [{ name: 'default', path: '/data/', free_space: 2 << 20, unreserved_space: 2 << 20 }];
    expect(diskTooFull([{ name: 'all_1_1_0', bytes: 6 << 20, disk: 'default' }], disks)).toMatchObject({ part: { name: 'all_1_1_0' }, needs: Math.ceil((6 << 20) * 1.1) });
    expect(diskTooFull([{ name: 'all_1_1_0', bytes: 1 << 20, disk: 'default' }], disks)).toBeUndefined();
    expect(diskTooFull([{ name: 'all_1_1_0', bytes: 100, disk: 'default' }], [{ ...disks[0]!, unreserved_space: 4096 }])).toMatchObject({ needs: 1 << 20 });
  });

  it('bounds the embedded engine fully, and a remote server only with settings every ClickHouse knows', () => {
    const bounds = statementBounds(600_000);
    expect(bounds.backstopMs).toBe(630_000);
    expect(boundSettings(bounds, 'embedded')).toEqual({ max_execution_time: 600, timeout_overflow_mode: 'throw', lock_acquire_timeout: 600 });
    expect(boundSettings(bounds, 'remote')).toEqual({ max_execution_time: 600, timeout_overflow_mode: 'throw' });
    expect(statementBounds(1_000).backstopMs).toBe(2_000);
  });

  it('other query errors stay StoreQueryErrors (exit 2) with the engine code', async () => {
    const error = await t.store.select('SELECT * FROM no_such_table', {}, 'probe').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect(error).not.toBeInstanceOf(StoreStalledError);
    expect((error as StoreQueryError).exitCode).toBe(ExitCode.usage);
    expect((error as StoreQueryError).code).toBe('60');
  });

  it('a config without statementTimeout bounds statements at 10 minutes', () => {
    expect(parseConfig({}).store.statementTimeout).toBe(600_000);
  });
});

describe('the command line', () => {
  it('prints a stalled statement as one line and exits 5; when the engine was abandoned, it exits even though the engine still runs', () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(chunk.toString()), true));
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.useFakeTimers();
    try {
      const timedOut = new StoreStalledError('rollup truncate', 'timed out after 1.0 s: …', '159', { reason: 'timeout' });
      expect(reportError(timedOut)).toBe(5);
      vi.advanceTimersByTime(ABANDONED_EXIT_DELAY_MS * 2);
      expect(exit).not.toHaveBeenCalled();
      const abandoned = new StoreStalledError('rollup truncate', 'no answer after 2.0 s, …', undefined, { reason: 'timeout', abandoned: true });
      expect(reportError(abandoned)).toBe(5);
      expect(exit).not.toHaveBeenCalled();
      vi.advanceTimersByTime(ABANDONED_EXIT_DELAY_MS);
      expect(exit).toHaveBeenCalledWith(5);
      expect(written).toEqual(['driftwatch: query rollup truncate failed: timed out after 1.0 s: …\n', 'driftwatch: query rollup truncate failed: no answer after 2.0 s, …\n']);
    } finally {
      vi.useRealTimers();
      exit.mockRestore();
      write.mockRestore();
    }
  });
});
