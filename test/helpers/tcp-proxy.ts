// A loopback TCP proxy for fault tests: passes traffic through, or refuses, delays, hangs or resets connections.
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with a new connection:
 * - `pass`: forwards both ways (after `delayMs`, if set);
 * - `refuse`: nothing listens on the port (connections get ECONNREFUSED);
 * - `hang`: accepts and never answers (the client's timeout fires);
 * - `reset`: accepts, reads the request, then resets the connection (ECONNRESET / socket hang up).
 */
export type ProxyMode = 'pass' | 'refuse' | 'hang' | 'reset';

export class TcpProxy {
  port = 0;
  /** Connections accepted so far (refused ones never reach the proxy). */
  accepted = 0;
  private mode: ProxyMode = 'pass';
  private delayMs = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.listen(0);
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: the store.url that goes through the proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Switches mode for new connections and cuts the open ones (as a network fault would), so a client's
   * keep-alive sockets cannot carry on past the change. `delayMs` delays the start of each passed connection.
   */
  async set(mode: ProxyMode, delayMs = 0): Promise<void> {
    this.delayMs = delayMs;
    this.cutAll();
    if (mode === 'refuse' && this.server) await this.unlisten();
    if (mode !== 'refuse' && !this.server) await this.listen(this.port);
    this.mode = mode;
  }

  /** Resets every open connection. */
  cutAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await this.unlisten();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private onConnection(client: Socket): void {
    this.accepted++;
    this.track(client);
    const mode = this.mode;
    if (mode === 'hang') return;
    if (mode === 'reset') {
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    client.pause();
    const open = () => {
      if (client.destroyed) return;
      const upstream = connect(this.targetPort, this.targetHost);
      this.track(upstream);
      upstream.on('connect', () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    if (this.delayMs > 0) setTimeout(open, this.delayMs).unref();
    else open();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((socket) => this.onConnection(socket));
    return new Promise((done, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        this.port = (server.address() as { port: number }).port;
        this.server = server;
        done();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((done) => server.close(() => done()));
  }
}
