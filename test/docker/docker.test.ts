// Static checks of the Dockerfile, .dockerignore and docker-compose.yml (no Docker engine here to build or run them).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startServer } from '../../src/server.js';

/** Exit code of `node -e script` (async: the server it probes lives in this process). */
function nodeExitCode(script: string): Promise<number | null> {
  return new Promise((done) => {
    execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (error) => done(error ? ((error as { code?: number }).code ?? null) : 0));
  });
}

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions, line continuations joined and comments dropped, grouped by FROM into stages. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue;
    if (/\\\s*$/.test(line)) {
      current += `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\w+)\s+([\s\S]*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, image = '', name] = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ from: image, name, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${upper} before FROM`);
      stage.instructions.push({ keyword: upper, args });
    }
  }
  return stages;
}

/** An exec-form (JSON array) argument list, or the shell-form string as one element. */
function execForm(args: string): string[] {
  return args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : [args];
}

const stages = parseDockerfile(read('Dockerfile'));
const final = stages.at(-1) as Stage;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));

describe('Dockerfile', () => {
  it('is multi-stage: a build stage, then a slim Node 20 runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]?.from).toMatch(/^node:20[.\d]*-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(final.from).toMatch(/^node:20[.\d]*-(bookworm|bullseye)-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('pins every base image to an exact version or a digest, never latest', () => {
    for (const stage of stages) {
      if (stageNames.has(stage.from)) continue;
      expect(stage.from, `FROM ${stage.from}`).not.toMatch(/:latest\b/);
      expect(stage.from, `FROM ${stage.from} is pinned (x.y.z tag or @sha256)`).toMatch(/(:[^:@]*\d+\.\d+\.\d+[^:@]*$)|(@sha256:[0-9a-f]{64}$)/);
    }
  });

  it('installs with npm ci from the lockfile, builds, and prunes dev dependencies in the build stage', () => {
    const build = stages[0] as Stage;
    const runs = all(build, 'RUN').map((r) => r.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
    expect(all(build, 'COPY').some((c) => /package-lock\.json/.test(c.args))).toBe(true);
  });

  it('ships only production dependencies and the built code in the runtime stage', () => {
    expect(all(final, 'RUN').some((r) => /\bnpm (ci|install)\b/.test(r.args)), 'no install in the runtime stage').toBe(false);
    const copies = all(final, 'COPY').map((c) => c.args);
    expect(copies.some((c) => /--from=\S+\s+\S*node_modules/.test(c))).toBe(true);
    expect(copies.some((c) => /--from=\S+\s+\S*dist/.test(c))).toBe(true);
    expect(copies.some((c) => /\bqueries\b/.test(c)), 'queries/*.sql are read at run time').toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = all(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)?.args.trim()).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('has a HEALTHCHECK on /healthz, EXPOSE 9464, a data VOLUME, config by mount, and the daemon as command', () => {
    const health = all(final, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]?.args).toMatch(/CMD .*http:\/\/127\.0\.0\.1:9464\/healthz/);
    expect(all(final, 'EXPOSE').map((e) => e.args.trim())).toContain('9464');
    const volumes = all(final, 'VOLUME').flatMap((v) => execForm(v.args));
    const imageConfig = loadConfig(join(ROOT, 'deploy/driftwatch.image.yaml'), {});
    expect(volumes, 'the embedded store path of the baked-in config is a volume').toContain(imageConfig.store.path);
    expect(imageConfig.sinks.prometheus.host, 'metrics reachable from outside the container').toBe('0.0.0.0');
    expect(imageConfig.sinks.prometheus.port).toBe(9464);
    const command = [...execForm(all(final, 'ENTRYPOINT').at(-1)?.args ?? '[]'), ...execForm(all(final, 'CMD').at(-1)?.args ?? '[]')];
    expect(command).toEqual(['node', '/app/bin/driftwatch.js', 'daemon', '--config', '/etc/driftwatch/driftwatch.yaml']);
    expect(all(final, 'COPY').some((c) => /\/etc\/driftwatch\/driftwatch\.yaml$/.test(c.args))).toBe(true);
  });

  it('holds no secrets: no ENV or ARG for passwords, tokens or keys, no credentials in the text', () => {
    for (const stage of stages) {
      for (const { keyword, args } of [...all(stage, 'ENV'), ...all(stage, 'ARG')]) {
        expect(args, `${keyword} ${args}`).not.toMatch(/(PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|SMTP_URL|PRIVATE)/i);
      }
    }
    expect(read('Dockerfile')).not.toMatch(/xox[abp]-|hooks\.slack\.com|:\/\/[^/\s:]+:[^@\s]+@/);
  });

  it('copies only files that exist and that .dockerignore lets through; .dockerignore keeps node_modules, data, dist and .git out', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', 'dist', '.git']));
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.args.includes('--from='))) {
        const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const source of parts.slice(0, -1)) {
          expect(existsSync(join(ROOT, source)), `COPY ${source}: exists`).toBe(true);
          expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `COPY ${source}: not in .dockerignore`).toBe(false);
        }
      }
    }
  });

  it('has a HEALTHCHECK command that passes on a live /healthz and fails when nothing answers', async () => {
    const argv = JSON.parse(/CMD\s+(\[.*\])$/.exec(all(final, 'HEALTHCHECK')[0]?.args ?? '')?.[1] ?? '[]') as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    const server = await startServer({ metrics: { registry: new Registry() }, ready: async () => ({ ready: true }), host: '127.0.0.1', port: 0 });
    try {
      expect(await nodeExitCode((argv[2] ?? '').replace('http://127.0.0.1:9464', server.url))).toBe(0);
      expect(await nodeExitCode((argv[2] ?? '').replace('http://127.0.0.1:9464/healthz', `${server.url}/nope`))).toBe(1);
    } finally {
      await server.close();
    }
    expect(await nodeExitCode((argv[2] ?? '').replace('http://127.0.0.1:9464', server.url))).toBe(1);
  });
});

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown> | string[];
  profiles?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const services = compose.services;
  const mounts = (service: Service) => (service.volumes ?? []).map((v) => v.split(':')).map(([source = '', target = '']) => ({ source, target }));

  it('runs driftwatch with ClickHouse, Prometheus and Grafana', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['driftwatch', 'clickhouse', 'prometheus', 'grafana']));
    expect(services.driftwatch?.build).toBe('.');
    expect(services.driftwatch?.command).toEqual(['daemon', '--config', '/etc/driftwatch/driftwatch.yaml']);
  });

  it('pins every image and mounts only files and directories that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image && !service.build) expect(service.image, `${name}: ${service.image} has a version tag, not latest`).toMatch(/:(?!latest$)[\w.-]+$/);
      for (const { source } of mounts(service)) {
        if (source.startsWith('.')) expect(existsSync(join(ROOT, source)), `${name}: ${source} exists`).toBe(true);
        else expect(compose.volumes ?? {}, `${name}: named volume ${source} is declared`).toHaveProperty(source);
      }
    }
  });

  it('points driftwatch at the compose ClickHouse, with its metrics reachable by the compose Prometheus', () => {
    const configMount = mounts(services.driftwatch as Service).find((m) => m.target === '/etc/driftwatch/driftwatch.yaml');
    expect(configMount?.source).toBe('./deploy/driftwatch.docker.yaml');
    const config = loadConfig(join(ROOT, configMount?.source ?? ''), {});
    const url = new URL(config.store.url ?? '');
    expect(Object.keys(services)).toContain(url.hostname);
    expect(url.port).toBe('8123');
    expect(config.sinks.prometheus.host).toBe('0.0.0.0');
    const environment = services.driftwatch?.environment ?? {};
    expect(environment.CLICKHOUSE_PASSWORD, 'driftwatch and ClickHouse share the password variable').toBe(services.clickhouse?.environment?.CLICKHOUSE_PASSWORD);
    expect(config.store.user).toBe(services.clickhouse?.environment?.CLICKHOUSE_USER);
  });

  it('gives Prometheus deploy/prometheus.yml and the alert rules where its rule_files finds them, scraping the driftwatch service', () => {
    const prometheus = services.prometheus as Service;
    const configFile = (prometheus.command ?? []).find((c) => c.startsWith('--config.file='))?.split('=')[1] ?? '';
    const byTarget = new Map(mounts(prometheus).map((m) => [m.target, m.source]));
    expect(byTarget.get(configFile)).toBe('./deploy/prometheus.yml');
    const promConfig = parse(read('deploy/prometheus.yml')) as { rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    for (const pattern of promConfig.rule_files) {
      const resolved = posix.resolve(posix.dirname(configFile), pattern);
      const dir = posix.dirname(resolved);
      expect(byTarget.get(dir), `${pattern} resolves to ${dir}, mounted from ./alerts`).toBe('./alerts');
    }
    const job = promConfig.scrape_configs.find((s) => s.job_name === 'driftwatch');
    expect(job?.static_configs[0]?.targets).toEqual(['driftwatch:9464']);
  });

  it('gives Grafana the ClickHouse plugin, the provisioning, and datasources that reach the compose services', () => {
    const grafana = services.grafana as Service;
    expect(grafana.environment?.GF_INSTALL_PLUGINS).toMatch(/^grafana-clickhouse-datasource\b/);
    expect(grafana.environment?.CLICKHOUSE_PASSWORD).toBe(services.clickhouse?.environment?.CLICKHOUSE_PASSWORD);
    expect(mounts(grafana).some((m) => m.source === './grafana/provisioning' && m.target === '/etc/grafana/provisioning')).toBe(true);
    const clickhouse = (parse(read('grafana/provisioning/datasources/clickhouse.yml')) as { datasources: { jsonData: { host: string; port: number; username: string } }[] }).datasources[0];
    expect(Object.keys(services)).toContain(clickhouse?.jsonData.host);
    expect(clickhouse?.jsonData.username).toBe(services.clickhouse?.environment?.CLICKHOUSE_USER);
    const prometheus = (parse(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: { url: string }[] }).datasources[0];
    expect(Object.keys(services)).toContain(new URL(prometheus?.url ?? '').hostname);
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    const dashboards = mounts(grafana).find((m) => home.startsWith(`${m.target}/`));
    expect(existsSync(join(ROOT, dashboards?.source ?? '', home.slice((dashboards?.target.length ?? 0) + 1))), `home dashboard ${home} exists`).toBe(true);
  });

  it('runs the same image for the optional seed step as for the daemon', () => {
    expect(services.seed?.profiles).toEqual(['demo']);
    expect(services.seed?.command?.[0]).toBe('seed');
    expect(services.seed?.image).toBe(services.driftwatch?.image);
  });
});
