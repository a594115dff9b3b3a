// The leader lease: one holder at a time, renewed by its holder, taken over once it runs out or is handed back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLease, LEASE_TABLE } from '../src/lease.js';
import { ensureTables } from '../src/setup.js';
import { tableRef } from '../src/store/index.js';
import { tempStore, type TempStore } from './helpers/store.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
  await ensureTables(t.store, t.config);
});
afterAll(() => t.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let round = 0;
/** Daemons contending for a lease of their own name, so the tests do not share one. */
const daemons = (n: number, ttlMs: number, exclusive = false) => {
  const name = `test-${++round}`;
  return Array.from({ length: n }, () => new LeaderLease(t.store, t.config, { ttlMs, name, exclusive }));
};

describe('LeaderLease', () => {
  it('of daemons asking at once, exactly one leads; the others see it as the leader', async () => {
    const contenders = daemons(6, 60_000);
    const won = await Promise.all(contenders.map((lease) => lease.acquire()));
    expect(won.filter(Boolean)).toHaveLength(1);
    const leader = contenders[won.indexOf(true)] as LeaderLease;
    // One row was kept of the six writes of version 1: the insert token's compare-and-set, not a tie broken on read.
    const [kept] = await t.store.select<{ n: number }>(`SELECT count() AS n FROM ${tableRef(t.config, LEASE_TABLE)} WHERE name = {name:String} AND version = 1`, { name: `test-${round}` });
    expect(Number(kept?.n)).toBe(1);
    for (const lease of contenders) expect(await lease.leading()).toBe(lease === leader);
    expect((await contenders[0]?.leader())?.holder).toBe(leader.holder);
    // Renewing is the holder's: it keeps the lease, the others still cannot take it.
    expect(await leader.acquire()).toBe(true);
    expect(await Promise.all(contenders.filter((l) => l !== leader).map((l) => l.acquire()))).toEqual([false, false, false, false, false]);
  });

  it('a lease not renewed runs out and another daemon takes it; the old holder then follows', async () => {
    const [a, b] = daemons(2, 1_500) as [LeaderLease, LeaderLease];
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await sleep(1_700);
    expect(await a.leading()).toBe(false);
    expect(await b.acquire()).toBe(true);
    expect(await a.acquire()).toBe(false);
    expect(await a.leading()).toBe(false);
  });

  it('a released lease is free at once', async () => {
    const [a, b] = daemons(2, 60_000) as [LeaderLease, LeaderLease];
    expect(await a.acquire()).toBe(true);
    await a.release();
    expect(await a.leading()).toBe(false);
    expect(await b.acquire()).toBe(true);
    // Releasing a lease one does not hold changes nothing.
    await a.release();
    expect(await b.leading()).toBe(true);
  });

  it('exclusive (the embedded store, one process by its lock) takes a lease a dead process left, at once', async () => {
    const [dead] = daemons(1, 60_000) as [LeaderLease];
    expect(await dead.acquire()).toBe(true);
    const next = new LeaderLease(t.store, t.config, { ttlMs: 60_000, name: `test-${round}`, exclusive: true });
    expect(await next.acquire()).toBe(true);
    expect(await dead.leading()).toBe(false);
  });

  it('stays one row per lease as versions grow (merges keep the latest)', async () => {
    const [a] = daemons(1, 60_000) as [LeaderLease];
    for (let i = 0; i < 5; i++) expect(await a.acquire()).toBe(true);
    await t.store.command(`OPTIMIZE TABLE ${tableRef(t.config, LEASE_TABLE)} FINAL`);
    const rows = await t.store.select<{ version: number }>(`SELECT version FROM ${tableRef(t.config, LEASE_TABLE)} WHERE name = {name:String}`, { name: `test-${round}` });
    expect(rows.map((r) => Number(r.version))).toEqual([5]);
    expect(await a.acquire()).toBe(true);
  });
});
