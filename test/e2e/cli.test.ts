// The CLI as users run it: help, exit codes, clear one-line errors, run --json, ingest line reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AT, seedSmallFixture } from '../helpers/fixture.js';
import { runCli } from '../helpers/cli.js';
import { tempStore, type TempStore } from '../helpers/store.js';

let t: TempStore;
let configFile: string;
beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100 });
  await seedSmallFixture(t);
  await t.store.close(); // the CLI opens the same data directory in its own process
  configFile = join(t.dir, 'driftwatch.yaml');
  writeFileSync(configFile, `store: { path: ${JSON.stringify(t.config.store.path)} }\nwindows: { maturity: 1h }\nminVolume: 100\n`);
});
afterAll(() => t.cleanup().catch(() => undefined));

function file(name: string, text: string): string {
  const path = join(t.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('help and usage', () => {
  it('every command has --help', async () => {
    for (const command of ['demo', 'daemon', 'run', 'backtest', 'report', 'seed', 'ingest', 'check-config']) {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout).toContain(`Usage: driftwatch ${command}`);
    }
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  });

  it('bad usage exits 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['run', '--at', 'yesterday-ish'])).code).toBe(2);
    const feb30 = await runCli(['run', '--at', '2026-02-30T00:00:00Z']);
    expect(feb30.code).toBe(2);
    expect(feb30.stderr).toContain('no such date');
    expect((await runCli(['ingest', '--table', 'scoring_events'])).code).toBe(2);
    expect((await runCli(['seed', '--days', '-3'])).code).toBe(2);
  });
});

describe('config errors exit 2 and name the path', () => {
  it('a typo', async () => {
    const { code, stderr } = await runCli(['check-config', '--config', file('typo.yaml', 'segmnts: [issuer]\n')]);
    expect(code).toBe(2);
    expect(stderr).toContain('segmnts: unknown key (did you mean segments?)');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a wrong type', async () => {
    const { code, stderr } = await runCli(['run', '--once', '--config', file('type.yaml', 'minVolume: lots\nwindows: { current: 1 }\n')]);
    expect(code).toBe(2);
    expect(stderr).toContain('minVolume');
    expect(stderr).toContain('windows.current');
  });

  it('a mistyped source table: exit 2 naming it, and nothing created (a second command says the same)', async () => {
    const config = file('mistyped.yaml', `store: { path: ${JSON.stringify(join(t.dir, 'mistyped-data'))} }\ntables: { events: scoring_event }\n`);
    for (const args of [['check-config'], ['run', '--once'], ['check-config']]) {
      const { code, stderr, stdout } = await runCli([...args, '--config', config]);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain('table scoring_event (tables.events) does not exist');
      expect(stderr).toContain('nothing was created');
      expect(stdout).toBe('');
    }
  });

  it('a scenario that does not exist', async () => {
    const { code, stderr } = await runCli(['seed', '--config', configFile, '--scenario', 'meteor-strike']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown scenario "meteor-strike"');
  });
});

describe('an unreachable store exits 3', () => {
  it('names the URL and never the password', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    await new Promise<void>((done) => server.close(() => done()));
    const config = file('remote.yaml', `store: { url: "http://default@127.0.0.1:${port}", retries: 0 }\n`);
    const { code, stderr } = await runCli(['run', '--once', '--config', config], { CLICKHOUSE_PASSWORD: 's3cret-pw' });
    expect(code).toBe(3);
    expect(stderr).toContain(`http://127.0.0.1:${port}/`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('s3cret-pw');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('run --once', () => {
  it('--json prints only the result document and exits 1 on findings', async () => {
    const { code, stdout } = await runCli(['run', '--once', '--config', configFile, '--at', AT.toISOString(), '--json']);
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.at).toBe(AT.toISOString());
    expect(doc.findings.some((f: { monitor: string; segment: Record<string, string>; severity: string }) => f.monitor === 'approval_rate' && f.segment.issuer === 'BANK B' && f.severity === 'critical')).toBe(true);
  });

  it('on empty windows says so: a quality warning (exit 1) and a log line, not a silent all-clear', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--once', '--config', configFile, '--at', '2020-01-01T00:00:00Z', '--json']);
    expect(code).toBe(1);
    const findings = JSON.parse(stdout).findings as { monitor: string; model: string; feature: string; severity: string }[];
    expect(findings).toEqual([expect.objectContaining({ monitor: 'quality', model: '', feature: 'no_data', severity: 'warning' })]);
    expect(stderr).toContain('no live scoring events in scoring_events from 2019-12-24T00:00:00.000Z to 2020-01-01T00:00:00.000Z');
    expect(stderr).toContain('check tables.events and columns.events.event_time');
  });

  it('check-config passes on the embedded store', async () => {
    const { code, stdout } = await runCli(['check-config', '--config', configFile]);
    expect(code).toBe(0);
    expect(stdout).toContain('config ok');
    expect(stdout).toContain("driftwatch's own tables: database driftwatch");
    expect(stdout).toContain('every monitor has the columns it needs');
    expect(stdout).toContain('maturity: approved 1h — configured (windows.maturity)');
    // Without windows.maturity it is learned; the small fixture has too few outcomes a day to learn from.
    const learned = await runCli(['check-config', '--config', file('learned.yaml', `store: { path: ${JSON.stringify(t.config.store.path)} }\nminVolume: 100\n`)]);
    expect(learned.code).toBe(0);
    expect(learned.stdout).toMatch(/maturity: approved 2h — default: too few outcomes yet to learn it from the data; set windows\.maturity to fix it/);
  });

  it('check-config says how each feature is read, and exits 2 on a numeric column in features', async () => {
    const store = `store: { path: ${JSON.stringify(t.config.store.path)} }\nwindows: { maturity: 1h }\n`;
    const fine = await runCli(['check-config', '--config', file('categorical.yaml', `${store}features: [card_network, amount_z]\n`)]);
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.stdout).toContain('features: card_network (by category: a column of scoring_events), amount_z (a key of the features map)');
    const numeric = await runCli(['check-config', '--config', file('numeric.yaml', `${store}features: [amount]\n`)]);
    expect(numeric.code).toBe(2);
    expect(numeric.stderr).toContain('features lists amount, a Float64 column; numeric features come from the features map (columns.events.features)');
  });
});

describe('backtest', () => {
  const hour = (h: number) => new Date(AT.getTime() + h * 3_600_000).toISOString();

  it('--json prints one document: the steps and each alert with its window, severity and times', async () => {
    const { code, stdout, stderr } = await runCli(['backtest', '--config', configFile, '--from', hour(-2), '--to', hour(0), '--every', '1h', '--json']);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout) as { steps: number; alerts: { monitor: string; segment: Record<string, string>; feature: string; window: string; severity: string; firedAt: string; resolvedAt: string | null }[] };
    expect(doc.steps).toBe(3);
    // BANK B/NA's outage fills the small fixture's current window: it fires at the first step and is still firing.
    const outage = doc.alerts.find((a) => a.monitor === 'approval_rate' && a.segment.issuer === 'BANK B');
    // Judged on the default window set and the sequential test: the window is whichever was strongest.
    expect(outage).toMatchObject({ feature: 'delta', severity: 'critical', firedAt: hour(-2), resolvedAt: null });
    expect(outage?.window).toMatch(/^(15m|1h|6h|1d|sequential)$/);
    for (const a of doc.alerts) expect(Object.keys(a)).toEqual(expect.arrayContaining(['monitor', 'model', 'segment', 'feature', 'window', 'severity', 'firedAt', 'resolvedAt']));
  });

  it('without --json prints a timeline', async () => {
    const { code, stdout } = await runCli(['backtest', '--config', configFile, '--from', hour(-1), '--to', hour(0), '--every', '30m']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backtest .* every 30m: 3 cycles, \d+ alert\(s\) fired/);
    expect(stdout).toMatch(/CRITICAL +approval_rate card-auth issuer=BANK B region=NA delta \[(15m|1h|6h|1d|sequential)\] — still firing/);
  });

  it('bad ranges and steps exit 2 naming the flag', async () => {
    const after = await runCli(['backtest', '--config', configFile, '--from', hour(0), '--to', hour(-1)]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/--from .* is after --to/);
    const short = await runCli(['backtest', '--config', configFile, '--from', hour(-1), '--to', hour(0), '--every', '30s']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--every.*at least 1m/);
    expect((await runCli(['backtest', '--config', configFile, '--to', hour(0)])).stderr).toMatch(/--from/);
  });
});

describe('ingest', () => {
  it('loads the good lines and names each bad one', async () => {
    const good = (i: number) =>
      JSON.stringify({ transaction_id: `ing-${i}`, outcome_time: '2026-11-20 10:00:00', approved: i % 2, chargeback: null });
    const lines = Array.from({ length: 1000 }, (_, i) => good(i));
    lines[9] = '{"transaction_id": "x", "outcome_time": "2026-11-20 10:00:00", "approved": 300, "chargeback": null}';
    lines[499] = 'not json at all';
    const path = file('outcomes.jsonl', `${lines.join('\n')}\n`);
    const { code, stdout } = await runCli(['ingest', '--config', configFile, '--table', 'outcomes', '--file', path]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/line 10: approved/);
    expect(stdout).toMatch(/line 500: not valid JSON/);
    expect(stdout).toContain('loaded 998 rows into outcomes, skipped 2 bad lines');
  });
});
