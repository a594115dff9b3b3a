// Sending the report over SMTP (nodemailer, SMTP_URL from the environment), with failures a person can act on.
import nodemailer, { type TransportOptions } from 'nodemailer';
import { ConfigError, ExitCode, SinkUnreachableError } from '../errors.js';

export { SinkUnreachableError };
export const SINK_UNREACHABLE_EXIT = ExitCode.sinkUnreachable;

export interface EmailAttachment {
  filename: string;
  /** Referenced from the HTML as `cid:<cid>`. */
  cid: string;
  contentType: string;
  content: Buffer;
}

export interface EmailMessage {
  subject: string;
  html: string;
  text: string;
  attachments: EmailAttachment[];
}

export interface Envelope {
  from: string;
  to: string[];
}

/** One delivery attempt; throws SinkUnreachableError when the message was not accepted. */
export interface Mailer {
  /** host:port, safe to show. */
  readonly target: string;
  send(message: EmailMessage, envelope: Envelope): Promise<{ messageId: string }>;
  close(): void;
}

/** host:port of an SMTP URL, never its credentials; nodemailer's default ports when the URL has none. */
export function smtpTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587')}`;
  } catch {
    return '(unparseable SMTP_URL)';
  }
}

/** SMTP_URL from the environment, checked before any work is done. */
export function smtpUrlFrom(env: NodeJS.ProcessEnv): string {
  const url = env.SMTP_URL?.trim();
  if (!url) throw new ConfigError('SMTP_URL is not set: export it, e.g. SMTP_URL=smtp://user:password@mail.example.com:587, to email the report');
  if (!/^smtps?:\/\//i.test(url)) throw new ConfigError(`SMTP_URL must start with smtp:// or smtps:// (got ${JSON.stringify(url.split(':')[0])}://…)`);
  return url;
}

const REASONS: Record<string, string> = {
  ECONNECTION: 'cannot connect',
  ECONNREFUSED: 'connection refused (is the server running, and SMTP_URL’s host:port right?)',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ESOCKET: 'connection failed',
  EDNS: 'host not found',
  EAUTH: 'login rejected',
  ENOAUTH: 'login required but SMTP_URL has no user',
  EENVELOPE: 'sender or recipients rejected',
  EMESSAGE: 'message rejected',
  ETLS: 'TLS failed',
  EPROTOCOL: 'unexpected reply',
};

/** The password may travel in an error's text (an echoed AUTH line): it is cut out of everything we show. */
function scrub(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // an unparseable URL has no password we could know
  }
  return password ? text.split(password).join('[redacted]') : text;
}

export function smtpMailer(url: string, timeouts = { connectMs: 10_000, socketMs: 60_000 }): Mailer {
  const target = smtpTarget(url);
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.connectMs,
    socketTimeout: timeouts.socketMs,
  } as TransportOptions);
  return {
    target,
    async send(message, envelope) {
      try {
        const info = (await transport.sendMail({ from: envelope.from, to: envelope.to, subject: message.subject, html: message.html, text: message.text, attachments: message.attachments })) as { messageId?: string };
        return { messageId: info.messageId ?? '' };
      } catch (error) {
        const e = error as { code?: string; cause?: { code?: string }; responseCode?: number; message?: string };
        // nodemailer reports socket failures as ESOCKET; the system's code inside says what happened.
        const code = /\b(ECONNREFUSED|EHOSTUNREACH|ECONNRESET)\b/.exec(e.message ?? '')?.[1] ?? e.cause?.code ?? e.code ?? 'unknown';
        const reason = REASONS[code] ?? 'delivery failed';
        const detail = scrub((e.message ?? String(error)).split('\n')[0] ?? '', url);
        throw new SinkUnreachableError(`SMTP server ${target}: ${reason} — ${code}${e.responseCode ? ` ${e.responseCode}` : ''}: ${detail}`, { cause: error });
      }
    },
    close: () => transport.close(),
  };
}

/** Serialised for the durable record: attachments as base64. */
export function encodeMessage(message: EmailMessage): string {
  return JSON.stringify({ ...message, attachments: message.attachments.map((a) => ({ ...a, content: a.content.toString('base64') })) });
}

export function decodeMessage(text: string): EmailMessage {
  const raw = JSON.parse(text) as Omit<EmailMessage, 'attachments'> & { attachments: (Omit<EmailAttachment, 'content'> & { content: string })[] };
  return { ...raw, attachments: raw.attachments.map((a) => ({ ...a, content: Buffer.from(a.content, 'base64') })) };
}
