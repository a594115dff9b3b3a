// SMTP delivery against a real loopback server: what is sent, and failures that name host:port but never the password.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SinkUnreachableError, smtpMailer, smtpTarget, smtpUrlFrom } from '../../src/report/email.js';
import { freePort, pngSize, SMTP_PASSWORD, SMTP_USER, testSmtp, type TestSmtp } from './helpers.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const message = { subject: 'weekly', html: '<p>hi <img src="cid:one@driftwatch"></p>', text: 'hi', attachments: [{ filename: 'one.png', cid: 'one@driftwatch', contentType: 'image/png', content: PNG }] };
/** The error a send failed with (the test fails if it did not). */
async function failure(send: Promise<unknown>): Promise<Error> {
  return send.then(
    () => expect.fail('the send should have failed'),
    (e: unknown) => e as Error,
  );
}

const envelope = { from: 'driftwatch@example.com', to: ['a@example.com', 'b@example.com'] };

let server: TestSmtp | undefined;
afterAll(() => server?.stop());

describe('smtp mailer', () => {
  it('sends HTML, text and inline images to every recipient', async () => {
    server = await testSmtp();
    await server.start();
    const mailer = smtpMailer(server.url);
    const { messageId } = await mailer.send(message, envelope);
    mailer.close();
    expect(messageId).toMatch(/@/);
    const [mail] = server.messages;
    expect(server.envelopes[0]).toEqual(envelope);
    expect(mail?.subject).toBe('weekly');
    expect(mail?.text?.trim()).toBe('hi');
    expect(mail?.html).toContain('cid:one@driftwatch');
    expect(pngSize(mail?.attachments[0]?.content as Buffer)).toEqual({ width: 1, height: 1 });
  });

  it('a rejected login or refused connection is a SinkUnreachableError (exit 4) naming host:port, never the password', async () => {
    const wrong = smtpMailer(`smtp://${SMTP_USER}:not-${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${server?.port}`);
    const login = await failure(wrong.send(message, envelope));
    wrong.close();
    expect(login).toBeInstanceOf(SinkUnreachableError);
    expect((login as SinkUnreachableError).exitCode).toBe(4);
    expect(login.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${server?.port}: login rejected`));
    expect(login.message).not.toContain(SMTP_PASSWORD);

    const port = await freePort();
    const down = smtpMailer(`smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`);
    const refused = await failure(down.send(message, envelope));
    down.close();
    expect(refused.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${port}: connection refused`));
    expect(refused.message).not.toContain(SMTP_PASSWORD);
  });

  it('reads SMTP_URL from the environment and shows only host:port', () => {
    expect(() => smtpUrlFrom({})).toThrow(ConfigError);
    expect(() => smtpUrlFrom({ SMTP_URL: 'http://mail:25' })).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(smtpTarget('smtp://u:p@mail.example.com')).toBe('mail.example.com:587');
    expect(smtpTarget('smtps://u:p@mail.example.com')).toBe('mail.example.com:465');
    expect(smtpTarget('smtp://mail.example.com:2525')).toBe('mail.example.com:2525');
  });
});
