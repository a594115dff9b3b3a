// Scaffolding for daemon tests: a free port, polling, the store config of alerting tests, and a daemon config file.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/index.js';
import { tempStore, type TempStore } from './store.js';

/** A loopback port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Polls `check` every 200 ms until it holds, or fails naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A store for in-process alerting tests: small segments judged, no scheduled ticks, metrics on a free port, Slack at `slackUrl`. */
export function alertingStore(slackUrl: string, overrides: ConfigInput = {}): Promise<TempStore> {
  return tempStore({
    windows: { maturity: '1h' },
    minVolume: 100,
    schedule: '0 0 1 1 *',
    alerts: { resolveAfter: 2 },
    sinks: { prometheus: { port: 0 }, slack: { apiUrl: slackUrl, channel: '#oncall' } },
    ...overrides,
  });
}

/** Writes the YAML config of a daemon process: ticks every 2 s on `storePath`, metrics on `port`, Slack at `slackUrl`. */
export function writeDaemonConfig(dir: string, storePath: string, port: number, slackUrl: string): string {
  const file = join(dir, 'driftwatch.yaml');
  writeFileSync(
    file,
    [
      `store: { path: ${JSON.stringify(storePath)} }`,
      'windows: { maturity: 1m }',
      'minVolume: 100',
      'schedule: "*/2 * * * * *"',
      `sinks: { prometheus: { port: ${port} }, slack: { apiUrl: ${JSON.stringify(slackUrl)}, channel: "#oncall" } }`,
    ].join('\n'),
  );
  return file;
}
