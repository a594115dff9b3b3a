// The HTTP endpoint Prometheus and the orchestrator talk to: /metrics, /healthz, /readyz.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import type { Readiness } from './sinks/prometheus/index.js';

export interface ServerOptions {
  /** Anything with a prom-client registry, normally the daemon's `Metrics`. */
  metrics: { readonly registry: Registry };
  /** Decides /readyz; a rejection counts as not ready, with its message as the reason. */
  ready: () => Promise<Readiness>;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger?: Logger;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:9464`, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

/** Listens on host:port; a port in use or a host not on this machine is a ConfigError (exit 2) naming the key to change. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host, port, logger = silentLogger } = options;
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      logger.error({ err: (error as Error)?.message, path: request.url }, 'metrics server request failed');
      if (!response.headersSent) send(response, 500, TEXT, 'internal error\n');
      else response.destroy();
    });
  });
  await listen(server, host, port);
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  logger.info({ url }, 'serving /metrics, /healthz and /readyz');
  return {
    url,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        // Prometheus keeps its scrape connection alive; without this close() would wait for it to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(options: ServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, TEXT, 'method not allowed: use GET\n');
  }
  switch (path) {
    case '/metrics': {
      const { registry } = options.metrics;
      return send(response, 200, registry.contentType, await registry.metrics());
    }
    case '/healthz':
      return send(response, 200, TEXT, 'ok\n');
    case '/readyz': {
      const readiness = await options.ready().catch((error: unknown): Readiness => ({ ready: false, reason: `readiness check failed: ${(error as Error)?.message ?? String(error)}` }));
      const reason = oneLine(readiness.reason ?? (readiness.ready ? 'ready' : 'not ready'));
      return send(response, readiness.ready ? 200 : 503, TEXT, `${readiness.ready ? 'ready' : 'not ready'}: ${reason}\n`);
    }
    default:
      return send(response, 404, TEXT, 'not found: try /metrics, /healthz or /readyz\n');
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  response.end(body);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((done, fail) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      fail(listenError(error, host, port));
    };
    const onListening = () => {
      server.off('error', onError);
      done();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(`port ${port} on ${host} is in use; set sinks.prometheus.port`, { cause: error });
    case 'EACCES':
      return new ConfigError(`port ${port} on ${host} needs privileges this process lacks; set sinks.prometheus.port above 1023`, { cause: error });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ConfigError(`cannot listen on ${host}: not an address of this machine; set sinks.prometheus.host`, { cause: error });
    default:
      return error;
  }
}
