// The HTTP server: /metrics, /healthz, /readyz, 404 and 405, clean close, and a clear error when the port is taken.
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { startServer, type RunningServer } from '../src/server.js';
import { Metrics, type Readiness } from '../src/sinks/prometheus/index.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(ready: () => Promise<Readiness> = async () => ({ ready: true })) {
  const metrics = new Metrics(parseConfig({}), { defaultMetrics: false });
  const server = await startServer({ metrics, ready, host: '127.0.0.1', port: 0 });
  servers.push(server);
  return { metrics, server };
}

describe('startServer', () => {
  test('GET /metrics serves the registry in the text format with its content type', async () => {
    const { metrics, server } = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/metrics?debug=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain('# TYPE driftwatch_cycle_duration_seconds histogram');
  });

  test('GET /healthz answers ok while the process runs', async () => {
    const { server } = await serve(async () => ({ ready: false, reason: 'irrelevant' }));
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  test('GET /readyz is 200 when ready and 503 with a one-line reason when not', async () => {
    let state: Readiness = { ready: true, reason: 'last cycle 12s ago' };
    const { server } = await serve(async () => state);
    let response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ready: last cycle 12s ago\n');
    state = { ready: false, reason: 'store at /data\ndoes not answer' };
    response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('not ready: store at /data does not answer\n');
  });

  test('a readiness check that throws means 503, not a crash', async () => {
    const { server } = await serve(() => Promise.reject(new Error('ping exploded')));
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('not ready: readiness check failed: ping exploded\n');
  });

  test('unknown paths are 404; other methods than GET and HEAD are 405', async () => {
    const { server } = await serve();
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}/healthz`, { method: 'DELETE' })).status).toBe(405);
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  test('close() does not wait for an idle keep-alive connection', async () => {
    const { server } = await serve();
    await new Promise<void>((done, fail) => {
      const req = request(`${server.url}/healthz`, { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on('end', done);
      });
      req.on('error', fail);
      req.end();
    });
    const started = Date.now();
    await server.close();
    servers.splice(0);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test('a port in use is a ConfigError (exit 2) naming the port, host and the key to change', async () => {
    const { server } = await serve();
    const port = Number(new URL(server.url).port);
    const metrics = new Metrics(parseConfig({}), { defaultMetrics: false });
    const error = await startServer({ metrics, ready: async () => ({ ready: true }), host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`port ${port} on 127.0.0.1 is in use; set sinks.prometheus.port`);
    expect((error as ConfigError).exitCode).toBe(2);
  });
});
