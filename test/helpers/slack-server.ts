// A local stand-in for Slack's Web API (chat.postMessage, chat.update) that the real WebClient can talk to.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How the next calls are answered: normally, rate-limited, server error, never, or a Slack error (ok: false). */
export type Fault = '429' | '500' | 'hang' | { error: string };

export interface SlackCall {
  method: string;
  /** The parsed body: form fields (JSON-valued ones such as `blocks` parsed) or the JSON body. */
  body: Record<string, unknown>;
  /** The body as sent, percent-decoded for form bodies: what escaping tests look at. */
  raw: string;
  contentType: string;
  authorization: string | undefined;
  /** The status it was answered with; 0 for a hung call. */
  status: number;
}

export interface SlackPost {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  metadata?: unknown;
}

const CHANNEL_ID = 'C0DRIFTWATCH';

function parseBody(raw: string, contentType: string): { body: Record<string, unknown>; decoded: string } {
  if (contentType.includes('application/json')) return { body: JSON.parse(raw || '{}') as Record<string, unknown>, decoded: raw };
  const params = new URLSearchParams(raw);
  const body: Record<string, unknown> = {};
  for (const [key, value] of params) {
    try {
      body[key] = key === 'blocks' || key === 'metadata' || key === 'attachments' ? JSON.parse(value) : value;
    } catch {
      body[key] = value;
    }
  }
  return { body, decoded: [...params].map(([k, v]) => `${k}=${v}`).join('&') };
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Messages Slack accepted (answered ok), in order. */
  readonly posts: SlackPost[] = [];
  readonly updates: { channel: string; ts: string; text: string; blocks: unknown[] }[] = [];
  private faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private counter = 0;
  port = 0;

  static async start(): Promise<FakeSlack> {
    const slack = new FakeSlack();
    await slack.listen(0);
    return slack;
  }

  /** The apiUrl to configure (WebClient appends the method name). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** Answers the next `times` calls with `fault` (after any faults already scripted). */
  fail(fault: Fault, times = 1): this {
    for (let i = 0; i < times; i++) this.faults.push(fault);
    return this;
  }

  /** Accepted posts that are top-level messages (not thread replies). */
  get parents(): SlackPost[] {
    return this.posts.filter((p) => !p.threadTs);
  }

  /** Closes the server and every open connection (hung calls included): Slack is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => server.close(() => done()));
  }

  /** Slack is back, on the same port. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const contentType = req.headers['content-type'] ?? '';
    const { body, decoded } = parseBody(raw, contentType);
    const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
    const call: SlackCall = { method, body, raw: decoded, contentType, authorization: req.headers.authorization, status: 0 };
    this.calls.push(call);
    const fault = this.faults.shift();
    if (fault === 'hang') return;
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    if (fault === '429') return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    if (fault === '500') return answer(500, 'internal error');
    if (fault) return answer(200, { ok: false, error: fault.error });
    if (!call.authorization?.startsWith('Bearer ')) return answer(200, { ok: false, error: 'not_authed' });
    answer(200, this.accept(method, body));
  }

  private accept(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const channel = CHANNEL_ID;
    const text = String(body.text ?? '');
    const blocks = (body.blocks as unknown[] | undefined) ?? [];
    if (method === 'chat.postMessage') {
      const ts = `${1_800_000_000 + this.counter}.${String(++this.counter).padStart(6, '0')}`;
      const threadTs = body.thread_ts === undefined ? undefined : String(body.thread_ts);
      this.posts.push({ channel, ts, text, blocks, metadata: body.metadata, ...(threadTs ? { threadTs } : {}) });
      return { ok: true, channel, ts, message: { text, ts } };
    }
    if (method === 'chat.update') {
      const ts = String(body.ts);
      if (!this.posts.some((p) => p.ts === ts)) return { ok: false, error: 'message_not_found' };
      this.updates.push({ channel: String(body.channel), ts, text, blocks });
      return { ok: true, channel, ts, text };
    }
    return { ok: false, error: 'unknown_method' };
  }
}
