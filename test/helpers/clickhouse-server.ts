// A real (Debian, old) clickhouse-server for fault tests: started on loopback ports with a temp data dir, stopped and restarted at will.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './daemon.js';

/** The command that runs a server: `clickhouse-server`, or `clickhouse server`; undefined when neither is installed. */
export function clickhouseServerCommand(): string[] | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, 'clickhouse-server'))) return [join(dir, 'clickhouse-server')];
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const binary = join(dir, 'clickhouse');
    if (existsSync(binary) && spawnSync(binary, ['server', '--help'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return [binary, 'server'];
  }
  return undefined;
}

export interface ClickHouseServer {
  /** `http://127.0.0.1:<http port>`. */
  url: string;
  httpPort: number;
  dir: string;
  /** Starts the server (again, on the same ports and data) and waits until it answers /ping. */
  start(): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after a few seconds) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
}


function configXml(dir: string, httpPort: number, tcpPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a server in a fresh temp directory. Throws when none is installed: check clickhouseServerCommand() first. */
export async function startClickHouseServer(): Promise<ClickHouseServer> {
  const command = clickhouseServerCommand();
  if (!command) throw new Error('clickhouse-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-chserver-'));
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort));
  writeFileSync(join(dir, 'users.xml'), USERS_XML);
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let output = '';

  const server: ClickHouseServer = {
    url,
    httpPort,
    dir,
    async start() {
      if (child) return;
      const [binary, ...args] = command;
      child = spawn(binary as string, [...args, `--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const started = child;
      const deadline = Date.now() + 30_000;
      while (!(await answers(url))) {
        if (started.exitCode !== null || Date.now() > deadline) {
          started.kill('SIGKILL');
          child = undefined;
          throw new Error(`clickhouse-server did not start on ${url}: ${output.slice(-2000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise<void>((done) => running.once('exit', () => done()));
      running.kill('SIGTERM');
      const killer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
