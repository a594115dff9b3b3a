// Test helpers for the report: a real SMTP server on loopback that parses what it receives, a PNG header reader, a stderr tap.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  /** SMTP_URL for it, with the test user's credentials when the server asks for a login. */
  url: string;
  messages: ParsedMail[];
  envelopes: { from: string; to: string[] }[];
  /** Listens on `port` (again, after stop): the same URL works across an outage. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const SMTP_USER = 'driftwatch';
export const SMTP_PASSWORD = 's3cret-p@ss';

/** A free loopback port: nothing listens on it until the server starts there. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function testSmtp(port?: number): Promise<TestSmtp> {
  const chosen = port ?? (await freePort());
  let server: SMTPServer | undefined;
  const smtp: TestSmtp = {
    port: chosen,
    url: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${chosen}`,
    messages: [],
    envelopes: [],
    async start() {
      server = new SMTPServer({
        // Plain loopback: no STARTTLS; a login with the test user, which nodemailer sends because the URL has one.
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        logger: false,
        onAuth(auth, _session, done) {
          if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) done(null, { user: SMTP_USER });
          else done(new Error('invalid login'));
        },
        onData(stream, session, done) {
          // skipImageLinks: keep the HTML's cid: links as sent (the parser would otherwise inline them as data: URIs).
          simpleParser(stream, { skipImageLinks: true })
            .then((mail) => {
              smtp.messages.push(mail);
              smtp.envelopes.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              });
              done();
            })
            .catch((error: Error) => done(error));
        },
      });
      server.listen(chosen, '127.0.0.1');
      await once(server.server, 'listening');
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return smtp;
}

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature)) throw new Error('not a PNG: bad signature');
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG: IHDR is not the first chunk');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Captures what is written to stderr and stdout while `run` runs (the CLI's messages). */
export async function capture<T>(run: () => Promise<T>): Promise<{ result: T; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const writeErr = process.stderr.write.bind(process.stderr);
  const writeOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    const result = await run();
    return { result, stderr: err.join(''), stdout: out.join('') };
  } finally {
    process.stderr.write = writeErr;
    process.stdout.write = writeOut;
  }
}
