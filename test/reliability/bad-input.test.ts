// Property tests: mutated configs and mutated command lines always exit 2 with a message naming the problem, never a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import cron from 'node-cron';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressionProblem, IDENTIFIER_PATTERN, QUALIFIED_TABLE_PATTERN } from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';
import { cliInProcess as cli } from '../helpers/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'driftwatch-badinput-'));
/** A valid config every mutation starts from; its store is a temp directory, never ./data. */
const BASE = { store: { path: join(dir, 'data') }, segments: ['issuer', 'region'], windows: { current: '24h' }, minVolume: 200 };
const STACK = /\n\s+at .+:\d+/;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}


let files = 0;
function configFile(text: string): string {
  const path = join(dir, `config-${files++}.yaml`);
  writeFileSync(path, text);
  return path;
}

// ---- Invalid values, by the kind of key they go to --------------------------------------------------------------

const notNumber = fc.oneof(fc.string({ maxLength: 8 }).filter((s) => !/^\s*[-+]?\d/.test(s)), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({ a: 1 }));
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { minLength: 1, maxLength: 2 }), fc.constant({ a: 'b' }));
const notDuration = fc.oneof(
  notString,
  fc.constantFrom('5x', '10', 'abc', '-1h', '1 hour', '', 'h', '1.h', '24H', '7days'),
  fc.string({ maxLength: 6 }).filter((s) => !/^(\d+(?:\.\d+)?)\s*[smhdw]$/.test(s.trim())),
);
const notCron = fc.oneof(notString, fc.constantFrom('* * *', '61 * * * *', '* * * * * * *', 'every 5 minutes', '', '*/0 * * * *'), fc.string({ maxLength: 12 }).filter((s) => !cron.validate(s)));
const notIdentifier = fc.oneof(
  notString,
  fc.constantFrom('score; DROP', 'a-b', '1abc', '', 'x'.repeat(64), 'issuer`', "it's", 'a b', 'back\\slash', 'quote"d', 'événement'),
  fc.string({ maxLength: 10 }).filter((s) => !IDENTIFIER_PATTERN.test(s)),
);
const notTable = notIdentifier.filter((v) => typeof v !== 'string' || !QUALIFIED_TABLE_PATTERN.test(v));
/** Column mappings are names or expressions: refused at load are what cannot be one expression in parentheses. */
const notMapping = fc.oneof(
  notString,
  fc.constantFrom('score; DROP', 'issuer`', "it's", 'quote"d', '', '   ', 'x) --', 'a /* b */', 'f(a', 'a)'),
  fc.string({ maxLength: 10 }).filter((s) => s.trim() === '' || expressionProblem(s) !== undefined),
);
const notBoolean = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.constant([true]));
const notPositiveInt = fc.oneof(notNumber, fc.integer({ max: 0 }), fc.double({ min: 0.01, max: 1e6, noInteger: true, noNaN: true }));
const notProbability = fc.oneof(notNumber, fc.double({ min: 1.0001, max: 1e9, noNaN: true }), fc.double({ min: -1e9, max: 0, noNaN: true }));
const notUrl = fc.oneof(notString, fc.constantFrom('not a url', 'ftp://example.com', 'http//missing-colon', '://x', ''));
const notEmail = fc.oneof(notString, fc.constantFrom('nobody', '@example.com', 'a@', 'a b@c.d', ''));
const notStringList = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant({ a: 1 }), fc.constant(['']), fc.array(fc.integer(), { minLength: 1, maxLength: 2 }));
const notPort = fc.oneof(notNumber, fc.integer({ min: 65536, max: 1e7 }), fc.integer({ min: -1e6, max: -1 }));

/**
 * Every key path a user may write, with values it must refuse, and the path the message must name when it is not
 * the key itself (warning ≤ critical is checked on the pair). Lists are mutated at their first item.
 */
const KEYS: [string, fc.Arbitrary<unknown>, string?][] = [
  ['store.path', fc.oneof(notString, fc.constant(''))],
  ['store.url', notUrl],
  ['store.user', notString],
  ['store.database', notIdentifier],
  ['store.requestTimeout', notDuration],
  ['store.retries', fc.oneof(notNumber, fc.integer({ min: 11, max: 1000 }), fc.integer({ max: -1 }))],
  ['store.tls.rejectUnauthorized', notBoolean],
  ['tables.events', notTable],
  ['tables.outcomes', notTable],
  ['tables.history', notIdentifier],
  ...['issuer', 'region'].map((c): [string, fc.Arbitrary<unknown>] => [`columns.events.${c}`, notIdentifier]),
  ...['event_time', 'transaction_id', 'model', 'score'].map((c): [string, fc.Arbitrary<unknown>] => [`columns.events.${c}`, notMapping]),
  ['columns.events.features', notMapping.filter((v) => v !== null)],
  ...['transaction_id', 'outcome_time', 'approved'].map((c): [string, fc.Arbitrary<unknown>] => [`columns.outcomes.${c}`, notMapping]),
  ['models', notStringList],
  ['features', notStringList],
  ['segments', fc.oneof(fc.constant([]), notString.filter((v) => !Array.isArray(v)))],
  ['segments.0', notIdentifier],
  ['windows.current', notDuration],
  ['windows.reference', notDuration],
  ['windows.maturity', notDuration],
  ['minVolume', notPositiveInt],
  ['schedule', notCron],
  ['fdr', notProbability],
  ['monitors.psi.enabled', notBoolean],
  ['monitors.psi.bins', fc.oneof(notNumber, fc.integer({ min: 101, max: 1e6 }), fc.integer({ max: 1 }))],
  ['monitors.psi.epsilon', fc.oneof(notNumber, fc.constant(0), fc.double({ min: 0.11, max: 10, noNaN: true }))],
  ['monitors.psi.thresholds.warning', fc.oneof(notNumber, fc.double({ min: -10, max: -0.001, noNaN: true }))],
  ['monitors.calibration.thresholds.critical', fc.oneof(notNumber, fc.constant(0.001)), 'monitors.calibration.thresholds'],
  ['monitors.approval_rate.mix.warning', fc.oneof(notNumber, fc.constant(0.9)), 'monitors.approval_rate.mix'],
  ['monitors.shadow.alpha', fc.oneof(notNumber, fc.constant(0), fc.constant(1))],
  ['monitors.quality.badScoreRate.critical', fc.oneof(notNumber, fc.double({ min: -5, max: -0.01, noNaN: true }))],
  ['alerts.for', notPositiveInt],
  ['alerts.resolveAfter', notPositiveInt],
  ['alerts.repeatInterval', notDuration],
  ['alerts.silences', fc.oneof(notString.filter((v) => !Array.isArray(v)), fc.constant([{ matchers: { issuer: 'x' } }]), fc.constant([{ matchers: 'x', expires: '2030-01-01T00:00:00Z' }]))],
  ['history.ttl', notDuration],
  ['sinks.prometheus.port', notPort],
  ['sinks.prometheus.host', notString],
  ['sinks.prometheus.maxSeries', notPositiveInt],
  ['sinks.slack.channel', fc.oneof(notString, fc.constant(''))],
  ['sinks.slack.apiUrl', notUrl.filter((u) => u !== 'ftp://example.com')],
  ['sinks.email.to', fc.oneof(notStringList, fc.constant(['nobody']))],
  ['sinks.email.from', notEmail],
  ['sinks.email.schedule', notCron],
];

/** Sets `path` in a deep copy of `config`, creating objects (or a one-item list for a numeric step) on the way. */
function setPath(config: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(config);
  const steps = path.split('.');
  let node: Record<string, unknown> = copy;
  steps.forEach((step, i) => {
    if (i === steps.length - 1) {
      node[step] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(steps[i + 1] ?? '');
    const existing = node[step];
    node[step] = typeof existing === 'object' && existing !== null ? existing : nextIsIndex ? ['issuer', 'region'] : {};
    node = node[step] as Record<string, unknown>;
  });
  return copy;
}

/** Where an unknown key may be added, and keys that are not in the schema. */
const OBJECTS = ['', 'store', 'windows', 'monitors', 'monitors.psi', 'alerts', 'sinks', 'sinks.slack', 'columns.events'];
const unknownKey = fc.stringMatching(/^[a-z][a-zA-Z_]{2,12}$/).filter((k) => !['path', 'url', 'user', 'database', 'current', 'reference', 'maturity', 'psi', 'calibration', 'shadow', 'quality', 'for', 'prometheus', 'slack', 'email', 'store', 'tables', 'columns', 'models', 'segments', 'features', 'windows', 'schedule', 'monitors', 'alerts', 'history', 'sinks', 'enabled', 'bins', 'edges', 'epsilon', 'thresholds', 'channel', 'apiUrl', 'issuer', 'region', 'score', 'model', 'variant', 'amount', 'currency', 'decision', 'features', 'retries', 'tls', 'silences', 'grafanaUrl', 'runbookUrl', 'resolveAfter', 'repeatInterval', 'minVolume', 'fdr', 'requestTimeout', 'merchant_id', 'latency_ms', 'card_network', 'model_version', 'event_time', 'transaction_id'].includes(k));

const INVALID_YAML = ['store: [unclosed', 'a: b: c', 'store:\n\tpath: x', 'segments: [issuer\nregion', 'key: "unterminated', 'store: {path: x}\nstore: {path: y}', '- just\n- a list', '42'];

type Mutation = { kind: 'value'; path: string; value: unknown; mentions: string } | { kind: 'unknown'; at: string; key: string } | { kind: 'yaml'; text: string } | { kind: 'env'; name: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KEYS).chain(([path, bad, mentions]) => bad.map((value): Mutation => ({ kind: 'value', path, value, mentions: mentions ?? path }))) },
  { weight: 2, arbitrary: fc.record({ at: fc.constantFrom(...OBJECTS), key: unknownKey }).map((m): Mutation => ({ kind: 'unknown', ...m })) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_YAML).map((text): Mutation => ({ kind: 'yaml', text })) },
  { weight: 1, arbitrary: fc.stringMatching(/^DW_UNSET_[A-Z]{1,8}$/).map((name): Mutation => ({ kind: 'env', name })) },
);

/** The config text for a mutation, and what its error must mention. */
function apply(m: Mutation): { text: string; mentions: string } {
  switch (m.kind) {
    case 'value':
      return { text: stringify(setPath(BASE, m.path, m.value)), mentions: m.mentions };
    case 'unknown': {
      const path = m.at ? `${m.at}.${m.key}` : m.key;
      return { text: stringify(setPath(BASE, path, 1)), mentions: `${path}: unknown key` };
    }
    case 'yaml':
      return { text: m.text, mentions: m.text === '- just\n- a list' || m.text === '42' ? '(top level)' : 'is not valid YAML' };
    case 'env':
      return { text: `${stringify(BASE)}sinks: { slack: { channel: "\${${m.name}}" } }\n`, mentions: `environment variable ${m.name} is not set` };
  }
}

const COMMANDS = [['check-config'], ['run', '--once'], ['run', '--once', '--json'], ['seed', '--days', '1'], ['ingest', '--table', 'outcomes', '--file', '/nonexistent.jsonl'], ['report']];

function expectUsageError(result: Outcome, mentions: string, what: string): void {
  expect(result.code, `${what}\n${result.stderr}`).toBe(2);
  expect(result.stderr, what).toContain(mentions);
  expect(result.stderr, what).not.toMatch(STACK);
  expect(result.stderr, what).not.toContain('unexpected error');
}

let baseFile: string;
const home = process.cwd();
beforeAll(() => {
  // Defaults put the store in ./data: whatever slips through must land in the temp directory.
  process.chdir(dir);
  baseFile = configFile(stringify(BASE));
});
afterAll(() => {
  process.chdir(home);
  rmSync(dir, { recursive: true, force: true });
});

describe('mutated configs (in process)', () => {
  it('every mutation of a valid config exits 2 naming the key, for every command that reads config', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, fc.constantFrom(...COMMANDS), async (m, command) => {
        const { text, mentions } = apply(m);
        const file = configFile(text);
        expectUsageError(await cli([...command, '--config', file]), mentions, `${JSON.stringify(m)} with ${command.join(' ')}`);
      }),
      { numRuns: 400 },
    );
  });
});

// ---- Mutated command lines ---------------------------------------------------------------------------------------

/**
 * A command line with one thing wrong, and what the message must mention. Each carries `--config` with the valid
 * BASE (unless the case is about --config), so a case that wrongly passes works in the temp directory, not ./data.
 */
const badArgv: fc.Arbitrary<{ args: readonly string[]; mentions: string }> = fc.oneof(
  fc.stringMatching(/^[a-z][a-z-]{1,10}$/)
    .filter((c) => !['demo', 'daemon', 'run', 'report', 'seed', 'ingest', 'check-config', 'help'].includes(c))
    .map((c) => ({ args: [c], mentions: `unknown command '${c}'` })),
  fc.tuple(fc.constantFrom(...COMMANDS), fc.stringMatching(/^--[a-z]{3,10}$/))
    .filter(([command, option]) => !['--config', '--once', '--json', '--at', '--days', '--end', '--seed', '--events-per-day', '--scenario', '--table', '--file', '--out', '--send', '--help', '--version'].some((known) => known.startsWith(option)) && !command.includes(option))
    .map(([command, option]) => ({ args: [...command, option], mentions: `unknown option '${option}'` })),
  fc.tuple(fc.constantFrom(['run', '--at'], ['report', '--at'], ['seed', '--end']), fc.string({ maxLength: 12 }).filter((s) => Number.isNaN(Date.parse(s)) && !s.startsWith('-')))
    .map(([option, value]) => ({ args: [...option, value], mentions: 'not an ISO 8601 time' })),
  fc.tuple(fc.constantFrom('--days', '--seed', '--events-per-day'), fc.oneof(fc.constantFrom('abc', '1.5', '', ' ', '0x10', '1e3', 'NaN', '1e400x'), fc.stringMatching(/^[a-z]{1,6}$/)))
    .map(([option, value]) => ({ args: ['seed', option, value], mentions: 'expected a' })),
  fc.tuple(fc.constantFrom('--days', '--events-per-day'), fc.constantFrom('0', '-3')).map(([option, value]) => ({ args: ['seed', option, value], mentions: 'expected a positive whole number' })),
  fc.stringMatching(/^[a-z]{3,12}$/)
    .filter((s) => !['issuer', 'score', 'miscalibration', 'bad'].some((known) => s.startsWith(known)))
    .map((name) => ({ args: ['seed', '--scenario', name], mentions: `unknown scenario "${name}"` })),
  fc.constantFrom(...COMMANDS).map((command) => ({ args: [...command, '--config'], mentions: "option '-c, --config <file>' argument missing" })),
  fc.tuple(fc.constantFrom(...COMMANDS), fc.stringMatching(/^[a-z0-9]{1,8}$/)).map(([command, name]) => ({ args: [...command, '--config', join(dir, `missing-${name}.yaml`)], mentions: 'does not exist' })),
  fc.constantFrom(['ingest', '--table', 'outcomes'], ['ingest', '--file', 'x.jsonl'], ['ingest']).map((args) => ({ args, mentions: 'required option' })),
  fc.tuple(fc.constantFrom(['run'], ['check-config'], ['daemon'], ['demo']), fc.stringMatching(/^[a-z]{1,6}$/)).map(([command, extra]) => ({ args: [...command, extra], mentions: 'too many arguments' })),
);

describe('mutated command lines (in process)', () => {
  it('exit 2 with the problem named, never 0, never a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(badArgv, async ({ args, mentions }) => {
        const result = await cli(args.includes('--config') ? [...args] : [...args, '--config', baseFile]);
        expectUsageError(result, mentions, args.join(' '));
      }),
      { numRuns: 300 },
    );
  });
});

// ---- A handful through the built binary, including problems the schema cannot see ---------------------------------

describe('through the real binary', () => {
  let notADirectory: string;
  beforeAll(async () => {
    notADirectory = configFile('just a file\n');
    // The daemon cases need the source tables a daemon only reads (it refuses a store without them, exit 2):
    // ingest creates them, in its own process, as the embedded store allows one process per directory.
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const created = await runCli(['ingest', '--config', configFile(`store: { path: ${JSON.stringify(join(dir, 'data'))} }\n`), '--table', 'scoring_events', '--file', empty], {}, 60_000);
    expect(created.code, created.stderr).toBe(0);
  }, 90_000);

  const cases: { name: string; args: () => string[]; mentions: string | RegExp }[] = [
    { name: 'invalid YAML', args: () => ['check-config', '--config', configFile('store: [unclosed\n')], mentions: 'is not valid YAML' },
    { name: 'a typo', args: () => ['daemon', '--config', configFile('schedul: "* * * * *"\n')], mentions: 'schedule' },
    { name: 'an injected identifier', args: () => ['run', '--once', '--config', configFile('columns: { events: { score: "score; DROP TABLE outcomes" } }\n')], mentions: 'columns.events.score' },
    { name: 'a bad cron', args: () => ['daemon', '--config', configFile('schedule: "61 * * * *"\n')], mentions: 'schedule' },
    { name: 'a bad argument', args: () => ['seed', '--days', 'abc'], mentions: "option '--days <n>' argument 'abc' is invalid" },
    { name: 'a store.path that is a file', args: () => ['check-config', '--config', configFile(`store: { path: ${JSON.stringify(notADirectory)} }\n`)], mentions: 'store.path' },
    {
      name: 'a CA certificate that does not exist',
      args: () => ['check-config', '--config', configFile('store: { url: "https://127.0.0.1:1", tls: { caCert: /nonexistent/ca.pem } }\n')],
      mentions: 'store.tls.caCert',
    },
    {
      name: 'a silence with a bad regular expression',
      args: () => ['daemon', '--config', configFile(`store: { path: ${JSON.stringify(join(dir, 'data'))} }\nalerts: { silences: [{ matchers: { issuer: "/(/" }, expires: "2030-01-01T00:00:00Z" }] }\n`)],
      mentions: 'alerts.silences[0].matchers.issuer',
    },
    {
      name: 'a metrics host that is not on this machine',
      args: () => ['daemon', '--config', configFile(`store: { path: ${JSON.stringify(join(dir, 'data'))} }\nschedule: "0 0 1 1 *"\nsinks: { prometheus: { host: 203.0.113.7, port: 0 } }\n`)],
      mentions: 'sinks.prometheus.host',
    },
  ];

  it.each(cases)('$name: exit 2, one message naming it, no stack trace', async ({ args, mentions }) => {
    const { code, stdout, stderr } = await runCli(args(), {}, 60_000);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(mentions);
    expect(stderr).not.toMatch(STACK);
    expect(stderr).not.toContain('unexpected error');
    expect(stdout).toBe('');
  });
});
