// Known secrets in the environment never show up in any output: stdout, stderr, /metrics, Slack bodies, tables.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, packageRoot } from '../../src/store/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { clickhouseServerCommand, startClickHouseServer } from '../helpers/clickhouse-server.js';
import { seedOutage } from '../helpers/outage.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { freePort } from '../helpers/daemon.js';

const MINUTE = 60_000;
const SECRETS = {
  CLICKHOUSE_PASSWORD: 'ch-S3cret-pw-4711',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-SeCrEtToKeN',
  SMTP_PASSWORD: 'Smtp-P4ss-9z',
};

/** Every spelling of a secret that would give it away: as is, URL-encoded, and inside a Basic auth header. */
function spellings(): string[] {
  const values = Object.values(SECRETS);
  const basic = [`default:${SECRETS.CLICKHOUSE_PASSWORD}`, `mailer:${SECRETS.SMTP_PASSWORD}`].map((s) => Buffer.from(s).toString('base64'));
  return [...values, ...values.map(encodeURIComponent), ...basic, 'SeCrEtToKeN'];
}


let t: TempStore;
let slack: FakeSlack;
let env: NodeJS.ProcessEnv;
let refusedPort: number;
/** Everything any run printed or served, labelled by where it came from. */
const seen: { where: string; text: string }[] = [];
const record = (where: string, result: CliResult) => seen.push({ where: `${where} stdout`, text: result.stdout }, { where: `${where} stderr`, text: result.stderr });

function file(name: string, text: string): string {
  const path = join(t.dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  slack = await FakeSlack.start();
  t = await tempStore({ windows: { maturity: '1m' } });
  const now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE);
  await seedOutage(t.store, now, 'BANK B', ['NA']);
  await t.store.close(); // the CLI processes open the same directory
  refusedPort = await freePort();
  env = {
    CLICKHOUSE_PASSWORD: SECRETS.CLICKHOUSE_PASSWORD,
    SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
    SMTP_URL: `smtp://mailer:${SECRETS.SMTP_PASSWORD}@127.0.0.1:${refusedPort}`,
    // Everything the code would log, the client libraries' debug lines included.
    DRIFTWATCH_LOG_LEVEL: 'debug',
  };
});
afterAll(async () => {
  await slack?.stop();
  await t?.cleanup().catch(() => undefined);
});

describe('with CLICKHOUSE_PASSWORD, SLACK_BOT_TOKEN and SMTP_URL set', () => {
  let config: string;
  beforeAll(() => {
    config = file('driftwatch.yaml', `store: { path: ${JSON.stringify(t.config.store.path)} }\nwindows: { maturity: 1m }\nminVolume: 100\n`);
  });

  it('run --once --json and check-config', async () => {
    const run = await runCli(['run', '--once', '--json', '--config', config], env);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).findings.length).toBeGreaterThan(0);
    record('run --json', run);
    const check = await runCli(['check-config', '--config', config], env);
    expect(check.code, check.stderr).toBe(0);
    record('check-config', check);
  });

  it('a daemon through Slack errors, its /metrics and /readyz, and its stop', async () => {
    const port = await freePort();
    const daemonConfig = file(
      'daemon.yaml',
      [
        `store: { path: ${JSON.stringify(t.config.store.path)} }`,
        'windows: { maturity: 1m }',
        'minVolume: 100',
        'schedule: "*/2 * * * * *"',
        `sinks: { prometheus: { port: ${port} }, slack: { apiUrl: ${JSON.stringify(slack.url)}, channel: "#oncall" } }`,
      ].join('\n'),
    );
    // A Slack error answer (logged, queued), then a rate limit and a server error the client retries.
    slack.fail({ error: 'invalid_auth' }).fail('429').fail('500');
    const child = spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), 'daemon', '--config', daemonConfig], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (slack.posts.length === 0 || slack.calls.length < 4) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no Slack message in time; stderr: ${out.stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const path of ['/metrics', '/readyz', '/healthz']) seen.push({ where: `daemon ${path}`, text: await (await fetch(`http://127.0.0.1:${port}${path}`)).text() });
    } finally {
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    seen.push({ where: 'daemon stdout', text: out.stdout }, { where: 'daemon stderr', text: out.stderr });
    expect(out.stderr).toContain('delivery failed; will retry');
    for (const call of slack.calls) {
      expect(call.authorization).toBe(`Bearer ${SECRETS.SLACK_BOT_TOKEN}`); // the one place the token belongs
      seen.push({ where: `Slack ${call.method} body`, text: `${call.raw}\n${JSON.stringify(call.body)}` });
    }
  });

  it('a remote store that refuses, with the password in the environment and in the URL', async () => {
    for (const url of [`http://default@127.0.0.1:${refusedPort}`, `http://default:\${CLICKHOUSE_PASSWORD}@127.0.0.1:${refusedPort}`]) {
      const remote = file('remote.yaml', `store: { url: "${url}", retries: 0 }\n`);
      for (const command of [['run', '--once', '--json'], ['check-config'], ['daemon']]) {
        const result = await runCli([...command, '--config', remote], env);
        expect(result.code, result.stderr).toBe(3);
        expect(result.stderr).toContain(`http://127.0.0.1:${refusedPort}/`);
        record(`${command[0]} on a refused store`, result);
      }
    }
    // A URL the client refuses (it takes no password parameter) is a config error, shown without the secret.
    const refused = file('remote-param.yaml', `store: { url: "http://127.0.0.1:${refusedPort}/?password=\${CLICKHOUSE_PASSWORD}" }\n`);
    const result = await runCli(['check-config', '--config', refused], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/store\.url .* is not usable: Unknown URL parameters: password/);
    record('check-config with a password URL parameter', result);
  });

  it.skipIf(!clickhouseServerCommand())('a remote store that rejects the password', async () => {
    const server = await startClickHouseServer();
    try {
      const remote = file('wrong-password.yaml', `store: { url: "${server.url}", retries: 0 }\n`);
      const result = await runCli(['check-config', '--config', remote], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/password/i);
      record('check-config with a wrong password', result);
    } finally {
      await server.cleanup();
    }
  });

  it('report --send to an SMTP server that refuses', async () => {
    // No backfill: the cycles it would run are run --once's, already above; the SMTP path is what is under test.
    const result = await runCli(['report', '--send', '--no-backfill', '--config', config], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`127.0.0.1:${refusedPort}`);
    record('report --send', result);
  });

  it('no secret in any of it, nor in any table driftwatch writes', async () => {
    const store = openStore(t.config);
    try {
      const tables = await store.select<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'driftwatch'`);
      expect(tables.map((r) => r.name)).toEqual(expect.arrayContaining(['driftwatch_metrics', 'driftwatch_alerts', 'driftwatch_outbox']));
      for (const { name } of tables) seen.push({ where: `table ${name}`, text: JSON.stringify(await store.select(`SELECT * FROM driftwatch.\`${name}\``)) });
    } finally {
      await store.close();
    }
    expect(seen.length).toBeGreaterThan(20);
    const leaks = seen.flatMap(({ where, text }) => spellings().filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`));
    expect(leaks).toEqual([]);
  });
});
