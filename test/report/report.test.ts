// The weekly report end to end on the embedded store: text, email over real SMTP, --out in Chromium, SMTP outages.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/common.js';
import { reportCommand } from '../../src/cli/report.js';
import { silentLogger } from '../../src/log.js';
import type { CycleResult } from '../../src/core/types.js';
import { gatherReport, renderHtml, renderText, reportHook, reportPeriod, ReportRecords } from '../../src/report/index.js';
import { readTraffic } from '../../src/report/traffic.js';
import { FROM, REPORT_AT, reportFixture, TO, type ReportFixture } from './fixture.js';
import { capture, freePort, pngSize, SMTP_PASSWORD, testSmtp, type TestSmtp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** A week earlier than REPORT_AT's: the seven days to 16 Nov 08:00, keyed ISO week 46. */
const EARLIER_AT = new Date('2026-11-16T08:00:00Z');

let f: ReportFixture;
const servers: TestSmtp[] = [];
beforeAll(async () => {
  f = await reportFixture();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await f?.cleanup();
});

async function smtp(port?: number): Promise<TestSmtp> {
  const server = await testSmtp(port);
  servers.push(server);
  return server;
}

describe('driftwatch report', () => {
  it('prints the text version without --send or --out', async () => {
    const { result, stdout } = await capture(() => reportCommand({ config: f.configPath, at: REPORT_AT }));
    expect(result).toBe(0);
    expect(stdout).toMatch(/^driftwatch weekly report, 16–23 Nov 2026: 2 incidents/);
    for (const section of ['Headline', 'Approval rate by region', 'Issuers that moved most', 'Calibration', 'Drift (PSI)', 'Incidents (2; 2 alerts)', 'Shadow models', 'Data quality']) expect(stdout).toContain(section);
    // The outage scenario: Eurobanca's approval rate fell, significantly, and the alert table says so.
    expect(stdout).toMatch(/Eurobanca · EU .*−\d+\.\d\spp .*significant/);
    expect(stdout).toMatch(/FIRING\s+Approval rate dropped\n\s+card-auth · Eurobanca · EU\n\s+• approval-rate change −42\.0\spp.* \(firing\)\n\s+fired .* still firing/);
  });

  it('emails the report once per week: subject, recipients, HTML and text parts, every cid: image a real PNG', async () => {
    const server = await smtp();
    await server.start();
    const env = { SMTP_URL: server.url };
    const { result, stderr } = await capture(() => reportCommand({ config: f.configPath, at: REPORT_AT, send: true }, env));
    expect(result, stderr).toBe(0);
    expect(server.messages).toHaveLength(1);
    const [mail] = server.messages;
    expect(mail?.subject).toMatch(/^driftwatch weekly report, 16–23 Nov 2026: 2 incidents, card-auth approval \d+\.\d\s%/);
    expect(server.envelopes[0]).toEqual({ from: FROM, to: TO });
    const to = Array.isArray(mail?.to) ? mail.to : [mail?.to];
    expect(to.flatMap((a) => a?.value.map((v) => v.address))).toEqual(TO);
    expect(mail?.text).toContain('Headline');
    const html = String(mail?.html);
    expect(html).toContain('Issuers that moved most');
    // User data is text: the hostile issuer name is escaped, and the HTML has no script at all.
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<style|https?:\/\/[^"]*\.(css|js)/i);

    const cids = [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    expect(cids).toEqual(expect.arrayContaining(['approval@driftwatch', 'volume@driftwatch', 'reliability-card-auth@driftwatch', 'reliability-retry-router@driftwatch', 'psi@driftwatch']));
    for (const cid of cids) {
      const attachment = mail?.attachments.find((a) => a.cid === cid);
      expect(attachment, cid).toBeDefined();
      expect(attachment?.contentType).toBe('image/png');
      expect(attachment?.contentDisposition).toBe('inline');
      const { width, height } = pngSize(attachment?.content as Buffer);
      expect(width, cid).toBeGreaterThanOrEqual(500);
      expect(height, cid).toBeGreaterThanOrEqual(300);
      expect(attachment?.size, cid).toBeGreaterThan(15_000);
    }

    // Asked again for the same week (another day of it): not sent twice.
    const again = await capture(() => reportCommand({ config: f.configPath, at: new Date('2026-11-24T10:00:00Z'), send: true }, env));
    expect(again.result).toBe(0);
    expect(again.stderr).toMatch(/report for 2026-W47 was already sent/);
    expect(server.messages).toHaveLength(1);
  });

  it.skipIf(!existsSync(CHROMIUM))('--out writes one self-contained HTML file whose images all load in Chromium', async () => {
    const out = join(f.dir, 'report.html');
    const { result } = await capture(() => reportCommand({ config: f.configPath, at: REPORT_AT, out }));
    expect(result).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/src="data:image\/png;base64,/);
    // A copy with a probe that records, after load, whether each image decoded (the report itself has no script).
    const probe = join(f.dir, 'probe.html');
    const script = `<script>addEventListener('load', () => document.body.setAttribute('data-images', JSON.stringify([...document.images].map((i) => i.complete && i.naturalWidth > 0))));</script>`;
    writeFileSync(probe, html.replace('</body>', `${script}</body>`));
    const dom = await chromium(['--dump-dom', '--virtual-time-budget=5000', `file://${probe}`]);
    const loaded = JSON.parse((dom.match(/data-images="([^"]*)"/)?.[1] ?? '[]').replace(/&quot;/g, '"')) as boolean[];
    expect(loaded.length).toBeGreaterThanOrEqual(5);
    expect(loaded.every(Boolean)).toBe(true);

    const shot = join(f.dir, 'report.png');
    await chromium([`--screenshot=${shot}`, '--window-size=1200,3000', `file://${out}`]);
    expect(pngSize(readFileSync(shot))).toEqual({ width: 1200, height: 3000 });
  });

  it('SMTP refusing: exits 4 naming host:port and not the password; the daemon retries with backoff and sends exactly once', async () => {
    const port = await freePort();
    const server = await smtp(port);
    const env = { SMTP_URL: server.url };
    // As the CLI's main() does: the command's error becomes one line on stderr and the exit code.
    const refused = await capture(() => reportCommand({ config: f.configPath, at: EARLIER_AT, send: true, backfill: false }, env).catch(reportError));
    expect(refused.result).toBe(4);
    expect(refused.stderr).toContain(`driftwatch: SMTP server 127.0.0.1:${port}`);
    expect(refused.stderr).toMatch(/connection refused|ECONNREFUSED/);
    expect(refused.stderr).toContain('kept');
    expect(refused.stderr).not.toContain(SMTP_PASSWORD);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    let clock = EARLIER_AT.getTime() + 3_600_000;
    const hook = reportHook({ config: f.config, store: f.store, logger: silentLogger }, { env, now: () => clock, baseDelayMs: 60_000, backfill: false });
    const cycle = () => hook.afterCycle({} as CycleResult, 'test-cycle');
    await hook.schedule?.run(); // still down: kept, second attempt recorded
    const records = await ReportRecords.open(f.store, f.config);
    expect(await records.get('2026-W46')).toMatchObject({ state: 'pending', attempts: 2 });

    await server.start();
    clock += 30_000;
    await cycle(); // SMTP is back, but the backoff (2 min after the 2nd failure) has not passed
    expect(server.messages).toHaveLength(0);
    clock += 10 * 60_000;
    await cycle();
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.subject).toMatch(/^driftwatch weekly report, 9–16 Nov 2026/);
    await hook.schedule?.run();
    await cycle();
    await hook.flush?.();
    expect(server.messages).toHaveLength(1);
    expect(await records.get('2026-W46')).toMatchObject({ state: 'sent', attempts: 3 });
  });

  it('reads the same traffic numbers from the rollup as from the raw join', async () => {
    const period = reportPeriod(REPORT_AT);
    const rolled = await readTraffic(f.store, f.config, period);
    const raw = await readTraffic(f.store, f.config, period, silentLogger, { raw: true });
    expect(rolled.source).toBe('rollup');
    expect(raw.source).toBe('raw');
    const key = (c: { model: string; week: string; segment: Record<string, string> }) => `${c.model}|${c.week}|${Object.values(c.segment).join('|')}`;
    const sorted = <T extends { model: string; week: string; segment: Record<string, string> }>(rows: T[]) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(rolled.issuers)).toEqual(sorted(raw.issuers));
    expect(sorted(rolled.regions)).toEqual(sorted(raw.regions));
    expect(rolled.hourly).toEqual(raw.hourly);
    expect(rolled.quality.sort((a, b) => `${a.model}${a.week}`.localeCompare(`${b.model}${b.week}`))).toEqual(raw.quality.sort((a, b) => `${a.model}${a.week}`.localeCompare(`${b.model}${b.week}`)));
    expect(rolled.reliability.map((r) => [r.model, r.week, r.n])).toEqual(raw.reliability.map((r) => [r.model, r.week, r.n]));
    rolled.reliability.forEach((r, i) => expect(r.ece).toBeCloseTo(raw.reliability[i]?.ece ?? NaN, 12));
    // The performance section's inputs: counts per grid cell exactly, the log loss to rounding.
    expect(rolled.performance.length).toBeGreaterThan(0);
    expect(rolled.performance.map((w) => [w.model, w.week, w.labeled, w.positives, w.negatives])).toEqual(raw.performance.map((w) => [w.model, w.week, w.labeled, w.positives, w.negatives]));
    rolled.performance.forEach((w, i) => expect(w.logLoss / (raw.performance[i]?.logLoss ?? NaN)).toBeCloseTo(1, 12));
  });

  it('renders a week without data or history, saying what is missing; backfill fills an empty week with daily cycles', async () => {
    const empty = await gatherReport(f.store, f.config, { at: new Date('2027-02-01T08:00:00Z'), backfill: false });
    expect(empty.missing.join('\n')).toMatch(/No live scoring events.*\n.*week before.*\n.*No history for this week/);
    expect(renderText(empty)).toContain('What this report is missing');
    // An alert still firing is part of every week until it resolves.
    expect(renderHtml(empty, [], () => undefined)).toMatch(/Incidents \(1; 1 alert\)[^]*still firing/);

    // ISO week 46 has history, the week before it none: backfill runs a cycle at the end of each of its days.
    const filled = await gatherReport(f.store, f.config, { at: EARLIER_AT });
    expect(filled.coverage.previous.cycles).toBe(7);
    expect(filled.missing.join('\n')).toContain('ran 7 cycles');
  });
});

const run = promisify(execFile);

async function chromium(args: string[]): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(f.dir, `chromium-${Date.now()}`)}`];
  const { stdout } = await run(CHROMIUM, [...flags, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
