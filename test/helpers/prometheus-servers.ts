// The real Prometheus and Alertmanager (Debian packages) on loopback for end-to-end tests, and a webhook receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, until } from './daemon.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
/** Why the tests are skipped, or undefined when both binaries are there. */
export const SERVERS_MISSING = [PROMETHEUS, ALERTMANAGER].every(existsSync)
  ? undefined
  : `${[PROMETHEUS, ALERTMANAGER].filter((p) => !existsSync(p)).join(' and ')} not installed (Debian: apt-get install prometheus prometheus-alertmanager): Prometheus/Alertmanager end-to-end tests SKIPPED`;

const DURATION = /^(\d+)(ms|s|m|h|d|w|y)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration divided by `factor`, in whole milliseconds (`10m` / 60 → `10000ms`, i.e. 10 s). */
export function shortenDuration(text: string, factor: number): string {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`not a simple Prometheus duration: ${text}`);
  return `${Math.round((Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000)) / factor)}ms`;
}

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
}

/**
 * The shipped rules with time scaled down by `factor` (60: minutes become seconds): every `for`, every
 * `keep_firing_for` and the range of every `max_over_time(…[N])`. Other ranges and thresholds are left alone.
 */
export function shortenRules(yamlText: string, factor = 60): string {
  const doc = parse(yamlText) as { groups: { name: string; rules: Rule[] }[] };
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      if (rule.for !== undefined) rule.for = shortenDuration(rule.for, factor);
      if (rule.keep_firing_for !== undefined) rule.keep_firing_for = shortenDuration(rule.keep_firing_for, factor);
      rule.expr = rule.expr.replace(/(max_over_time\([^[]*\[)([^\]]+)\]/g, (_, head: string, range: string) => `${head}${shortenDuration(range, factor)}]`);
    }
  }
  return stringify(doc);
}

/** A child process with its output kept (the tail goes into error messages) and a bounded stop. */
class Child {
  private output = '';
  private exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-8_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((done) => child.once('exit', () => done()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(): string {
    return this.output.split('\n').slice(-15).join('\n');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function waitReady(child: Child, url: string): Promise<void> {
  await until(
    async () => {
      if (!child.running) throw new Error(`${child.name} exited:\n${child.tail()}`);
      try {
        return (await fetch(`${url}/-/ready`)).ok;
      } catch {
        return false;
      }
    },
    30_000,
    `${child.name} to be ready at ${url}`,
  ).catch(async (error: Error) => {
    // Not ready: the caller never gets a handle to stop it, so it is stopped here rather than left running.
    await child.stop();
    throw new Error(`${error.message}\n${child.tail()}`);
  });
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly child: Child,
  ) {}

  /**
   * Prometheus scraping `target` (host:port) as job `driftwatch` every second, evaluating `rulesFile` every
   * second and alerting to `alertmanager` (host:port); its TSDB under `dir`.
   */
  static async start(options: { dir: string; target: string; rulesFile: string; alertmanager: string }): Promise<PrometheusServer> {
    const { dir, target, rulesFile, alertmanager } = options;
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(
      configFile,
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] },
        scrape_configs: [{ job_name: 'driftwatch', static_configs: [{ targets: [target] }] }],
      }),
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = new Child(
      'prometheus',
      spawn(PROMETHEUS, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await waitReady(child, url);
    return new PrometheusServer(url, child);
  }

  private async api<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  }

  /** Every alert Prometheus holds (pending and firing), from /api/v1/alerts. */
  async alerts(): Promise<PromAlert[]> {
    return (await this.api<{ alerts: PromAlert[] }>('alerts')).alerts;
  }

  /** An instant query's vector, from /api/v1/query. */
  async query(expr: string): Promise<PromSample[]> {
    return (await this.api<{ result: PromSample[] }>(`query?query=${encodeURIComponent(expr)}`)).result;
  }

  tail(): string {
    return this.child.tail();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

export class AlertmanagerServer {
  private constructor(
    readonly url: string,
    readonly address: string,
    private readonly child: Child,
  ) {}

  /**
   * Alertmanager sending every alert to `webhookUrl` in a group of its own (group_by: ['...']), after 1 s, with
   * resolved notifications. repeat_interval is an hour: within a test a second notification of the same alert is
   * a change (it resolved, or fired anew), never a reminder.
   */
  static async start(options: { dir: string; webhookUrl: string }): Promise<AlertmanagerServer> {
    const { dir, webhookUrl } = options;
    const configFile = join(dir, 'alertmanager.yml');
    writeFileSync(
      configFile,
      stringify({
        route: { receiver: 'webhook', group_by: ['...'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [{ name: 'webhook', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
      }),
    );
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const child = new Child(
      'alertmanager',
      spawn(
        ALERTMANAGER,
        [`--config.file=${configFile}`, `--storage.path=${join(dir, 'alertmanager')}`, `--web.listen-address=${address}`, '--cluster.listen-address=', '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    await waitReady(child, `http://${address}`);
    return new AlertmanagerServer(`http://${address}`, address, child);
  }

  tail(): string {
    return this.child.tail();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

/** One alert of an Alertmanager webhook notification. */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

export interface Notification {
  status: 'firing' | 'resolved';
  alerts: NotifiedAlert[];
  receivedAt: number;
}

/** An HTTP endpoint for Alertmanager's webhook_configs that keeps every notification it receives. */
export class WebhookReceiver {
  readonly notifications: Notification[] = [];
  url = '';
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        this.notifications.push({ ...(JSON.parse(body) as Omit<Notification, 'receivedAt'>), receivedAt: Date.now() });
        response.writeHead(200).end('ok');
      } catch {
        response.writeHead(400).end('not JSON');
      }
    });
  });

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((done) => receiver.server.listen(0, '127.0.0.1', done));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/`;
    return receiver;
  }

  /** Every notified alert, flattened, in the order received. */
  alerts(): NotifiedAlert[] {
    return this.notifications.flatMap((n) => n.alerts);
  }

  stop(): Promise<void> {
    return new Promise((done) => {
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }
}

/** The shipped rules file, shortened (shortenRules), written under `dir`; returns its path. */
export function writeShortRules(source: string, dir: string, factor = 60): string {
  const file = join(dir, 'driftwatch.rules.yml');
  writeFileSync(file, shortenRules(readFileSync(source, 'utf8'), factor));
  return file;
}
