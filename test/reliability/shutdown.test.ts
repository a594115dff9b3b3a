// Shutdown of the real daemon process: SIGTERM mid-cycle or mid-delivery exits 0 within 10 s with state saved; SIGKILL loses nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, packageRoot, type Store } from '../../src/store/index.js';
import { seedOutage } from '../helpers/outage.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectExactlyOnce, outboxIdOf, outboxRows } from './exactly-once.js';
import { freePort, writeDaemonConfig } from '../helpers/daemon.js';

const MINUTE = 60_000;
const NOW = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE);

interface LogLine {
  level: number;
  msg: string;
  cycle?: string;
  [key: string]: unknown;
}

/** The daemon as a child process, its JSON log lines parsed as they come. */
class DaemonProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), 'daemon', '--config', configFile], {
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-shutdown', DRIFTWATCH_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
    let partial = '';
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      // JSON log lines, and the plain lines the CLI writes itself (`driftwatch: SIGTERM received, stopping`).
      for (const line of parts) if (line) this.lines.push(line.startsWith('{') ? (JSON.parse(line) as LogLine) : { level: 0, msg: line });
    });
  }

  /** Resolves with the first log line (from `from` on) that matches, or fails after `timeoutMs`. */
  async waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs = 60_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.child.kill(signal);
    const code = await this.exited;
    return { code, ms: Date.now() - started };
  }

  ensureDead(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

let t: TempStore;
let slack: FakeSlack;
let configFile: string;

/** Runs `check` on the store while no daemon holds it. */
async function withStore<T>(check: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(t.config);
  try {
    return await check(store);
  } finally {
    await store.close();
  }
}


beforeAll(async () => {
  slack = await FakeSlack.start();
  t = await tempStore({ windows: { maturity: '1m' } });
  await seedOutage(t.store, NOW, 'BANK B', ['NA', 'EU']);
  await t.store.close(); // each daemon process opens the directory itself
  configFile = writeDaemonConfig(t.dir, t.config.store.path, await freePort(), slack.url);
});
afterAll(async () => {
  await slack?.stop();
  await t?.cleanup().catch(() => undefined);
});

describe('SIGTERM', () => {
  it('during a cycle: the cycle finishes and is saved, the daemon exits 0 within 10 s', async () => {
    const daemon = new DaemonProcess(configFile);
    try {
      await daemon.waitFor((l) => l.msg === 'cycle done', 'the first cycle');
      const mark = daemon.lines.length;
      // The next cycle has run its first monitor and has the others, history and alerts still to do.
      const running = await daemon.waitFor((l) => l.msg === 'monitor done', 'a cycle under way', 10_000, mark);
      const { code, ms } = await daemon.kill('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(10_000);
      const after = daemon.lines.slice(daemon.lines.indexOf(running));
      // In order: the signal arrived, then the cycle it interrupted finished, then the daemon stopped.
      const signalled = after.findIndex((l) => l.msg === 'driftwatch: SIGTERM received, stopping');
      const done = after.findIndex((l) => l.msg === 'cycle done' && l.cycle === running.cycle);
      expect(signalled, daemon.stderr.slice(-3000)).toBeGreaterThan(0);
      expect(done, `the interrupted cycle ${running.cycle} finished after the signal`).toBeGreaterThan(signalled);
      expect(after.at(-1)?.msg).toBe('driftwatch daemon stopped');
      expect(after.some((l) => l.level >= 50)).toBe(false);

      await withStore(async (store) => {
        // Its values are in the history, its alerts firing once each, its messages delivered.
        const [history] = await store.select<{ n: number }>(`SELECT count() AS n FROM driftwatch.driftwatch_metrics WHERE startsWith(cycle_id, {prefix:String})`, { prefix: running.cycle });
        expect(history?.n).toBeGreaterThan(0);
        const alerts = await store.select<{ key: string; n: number; current: string }>(
          `SELECT key, count() AS n, any(state) AS current FROM driftwatch.driftwatch_alerts FINAL WHERE state IN ('pending', 'firing') GROUP BY key`,
        );
        expect(alerts.length).toBeGreaterThanOrEqual(2);
        expect(alerts.every((a) => a.n === 1 && a.current === 'firing')).toBe(true);
        await expectExactlyOnce(store, slack);
      });
    } finally {
      daemon.ensureDead();
    }
  });
});

describe('SIGKILL', () => {
  it('with a message queued but not delivered: after a restart it is delivered exactly once', async () => {
    // Another issuer fails; Slack refuses the first delivery attempt, which leaves that message queued.
    await withStore((store) => seedOutage(store, NOW, 'BANK Z', ['LATAM']));
    slack.fail({ error: 'internal_error' });
    const posts = slack.posts.length;
    let daemon = new DaemonProcess(configFile);
    let queued: string;
    try {
      queued = String((await daemon.waitFor((l) => l.msg === 'delivery failed; will retry', 'a failed delivery')).id);
      expect((await daemon.kill('SIGKILL')).code).toBeNull();
    } finally {
      daemon.ensureDead();
    }
    expect(slack.posts.map(outboxIdOf)).not.toContain(queued);
    // The restarted daemon sends what the killed one had queued, once, and nothing twice in the cycles after.
    daemon = new DaemonProcess(configFile);
    try {
      const deadline = Date.now() + 60_000;
      while (!slack.posts.some((p) => outboxIdOf(p) === queued)) {
        if (Date.now() > deadline) throw new Error(`the queued message never came; stderr: ${daemon.stderr.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const mark = daemon.lines.length;
      await daemon.waitFor(() => daemon.lines.slice(mark).filter((l) => l.msg === 'cycle done').length >= 2, 'two more cycles', 15_000);
      expect((await daemon.kill('SIGTERM')).code).toBe(0);
    } finally {
      daemon.ensureDead();
    }
    await withStore((store) => expectExactlyOnce(store, slack));
    expect(slack.posts.filter((p) => outboxIdOf(p) === queued)).toHaveLength(1);
    expect(slack.posts.slice(posts).some((p) => JSON.stringify(p.blocks).includes('BANK Z'))).toBe(true);
  });
});

// Last: the message it leaves claimed keeps its thread waiting until the claim's lease (120 s) runs out.
describe('SIGTERM while a sink hangs', () => {
  it('while Slack hangs on a delivery: exits 0 within 10 s, the alert state saved and the message still queued', async () => {
    await withStore((store) => seedOutage(store, NOW, 'BANK Y', ['APAC']));
    const daemon = new DaemonProcess(configFile);
    try {
      slack.fail('hang');
      const calls = slack.calls.length;
      await daemon.waitFor(() => slack.calls.length > calls, 'a Slack request that hangs');
      const { code, ms } = await daemon.kill('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(10_000);
    } finally {
      daemon.ensureDead();
    }
    await withStore(async (store) => {
      const [firing] = await store.select<{ n: number }>(`SELECT count() AS n FROM driftwatch.driftwatch_alerts FINAL WHERE state = 'firing' AND segment['issuer'] = 'BANK Y'`);
      expect(firing?.n).toBeGreaterThanOrEqual(1);
      const waiting = (await outboxRows(store)).filter((r) => r.state !== 'delivered');
      expect(waiting.length).toBeGreaterThanOrEqual(1);
      expect(waiting.every((r) => r.state === 'sending' || r.state === 'pending')).toBe(true);
    });
  });
});
