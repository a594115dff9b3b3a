// deploy/grants.sql stays true to the code: it parses, it covers every table driftwatch creates, every kind of statement it
// sends to them and every system table it reads; and driftwatch runs its schema, rollup and cycle under exactly its grants.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, query as chdbQuery, queryBind, Session } from 'chdb';
import { defaultUserXml } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import { ingestLedgerDdl } from '../../src/ingest/ledger.js';
import { ensureRollupTables, rebuildRollup, refreshRollup } from '../../src/rollup/index.js';
import { ensureTables, ownTableNames } from '../../src/setup.js';
import { writeHistory } from '../../src/sinks/history.js';
import { checkSources } from '../../src/store/sources.js';
import { createOwnTable, openStore, type Store } from '../../src/store/index.js';
import { seed } from '../../src/synth/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = readFileSync(join(ROOT, 'deploy', 'grants.sql'), 'utf8');
/** The placeholders the script's header documents, and the values the test fills in. */
const VALUES: Record<string, string> = {
  DRIFTWATCH_PASSWORD: 'not-a-real-password',
  DRIFTWATCH_DATABASE: 'driftwatch',
  EVENTS_TABLE: 'payments.scoring_events',
  OUTCOMES_TABLE: 'payments.outcomes',
};

// ---- reading the script ---------------------------------------------------------------------------------------------

/** The placeholders listed in the header: `--   ${NAME}  what it is`. */
function documentedPlaceholders(): string[] {
  return [...SCRIPT.matchAll(/^--\s+\$\{(\w+)\}\s{2,}/gm)].map((m) => m[1] ?? '');
}

/** The script with its comments dropped, as statements. */
function activeStatements(): string[] {
  const code = SCRIPT.split('\n')
    .map((line) => line.replace(/\s*--.*$/, ''))
    .join('\n');
  return code
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Statements commented out in the optional blocks: a `-- ` line starting with a keyword, up to the line ending in `;`. */
function commentedStatements(): string[] {
  const statements: string[] = [];
  let current: string[] | undefined;
  for (const line of SCRIPT.split('\n')) {
    const text = /^--\s?(.*)$/.exec(line)?.[1];
    if (text === undefined) {
      current = undefined;
      continue;
    }
    if (!current && /^(CREATE|GRANT|REVOKE|ALTER) [A-Z]/.test(text)) current = [];
    if (!current) continue;
    current.push(text);
    if (text.trimEnd().endsWith(';')) {
      statements.push(current.join('\n').trim().replace(/;$/, ''));
      current = undefined;
    }
  }
  return statements;
}

const fill = (text: string, values: Record<string, string>) => text.replace(/\$\{(\w+)\}/g, (m, name: string) => values[name] ?? m);

/** The documented list of tables driftwatch creates: `--   driftwatch_x  what it is`, after its heading. */
function documentedTables(): string[] {
  const start = SCRIPT.indexOf('-- Tables driftwatch creates in its database');
  const lines = SCRIPT.slice(start).split('\n').slice(1);
  const names: string[] = [];
  for (const line of lines) {
    const name = /^--\s+(driftwatch_\w+)/.exec(line)?.[1];
    if (!name) break;
    names.push(name);
  }
  return names;
}

/** `GRANT <privileges> ON <target> TO driftwatch` of the active statements, filled in. */
function grants(): { privileges: string[]; target: string }[] {
  return activeStatements()
    .map((s) => /^GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\s+driftwatch$/s.exec(fill(s, VALUES)))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ privileges: (m[1] ?? '').split(',').map((p) => p.trim().replace(/\s+/g, ' ')), target: m[2] ?? '' }));
}

const granted = (target: string) => new Set(grants().filter((g) => g.target === target).flatMap((g) => g.privileges));

// ---- reading the code -----------------------------------------------------------------------------------------------

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}
const CODE = [...files(join(ROOT, 'src'), '.ts'), ...files(join(ROOT, 'queries'), '.sql')].map((path) => ({ path: path.slice(ROOT.length + 1), text: readFileSync(path, 'utf8') }));

/**
 * Table names the code defines (`const X_TABLE = 'driftwatch_…'`, the rollup's ROLLUP_TABLES): a module that adds a
 * table of its own names it so, whether or not setup.ts's list has caught up.
 */
function tableConstants(): Map<string, string> {
  const found = new Map<string, string>();
  for (const { path, text } of CODE) {
    for (const [, name] of text.matchAll(/\b\w*TABLES?\w*\s*=\s*'(driftwatch_\w+)'/g)) found.set(name ?? '', path);
    for (const [, body] of text.matchAll(/\bROLLUP_TABLES\s*=\s*\{([^}]*)\}/g)) for (const [, name] of (body ?? '').matchAll(/'(driftwatch_\w+)'/g)) found.set(name ?? '', path);
  }
  return found;
}

/** Every `CREATE TABLE … ${tableRef(config, X)}` of the code: what X is, where. */
function createTableSites(): { path: string; ref: string }[] {
  return CODE.flatMap(({ path, text }) => [...text.matchAll(/CREATE TABLE IF NOT EXISTS \$\{tableRef\((?:this\.)?config,\s*([^)]+)\)\}/g)].map((m) => ({ path, ref: (m[1] ?? '').trim() })));
}

/** System tables the code reads (`FROM system.x` / `JOIN system.x`; messages that merely name one do not count). */
function systemTablesRead(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const { path, text } of CODE) {
    for (const [, table] of text.matchAll(/\b(?:FROM|JOIN)\s+system\.(\w+)/g)) found.set(table ?? '', [...(found.get(table ?? '') ?? []), path]);
  }
  return found;
}

/**
 * The kinds of statement the code sends, from string literals and query files that start with one, and the privilege
 * each needs on the table it names. A kind not listed here fails the test: a new statement needs its grant.
 */
const PRIVILEGE: Record<string, string | null> = {
  SELECT: 'SELECT',
  WITH: 'SELECT',
  'INSERT INTO': 'INSERT',
  'CREATE TABLE': 'CREATE TABLE',
  'CREATE DATABASE': 'CREATE DATABASE',
  'ALTER TABLE ADD COLUMN': 'ALTER ADD COLUMN',
  'DELETE FROM': 'ALTER DELETE',
  TRUNCATE: 'TRUNCATE',
  // Its own DELETE's mutation, cancelled after a timeout: ClickHouse checks the mutation's ALTER privilege.
  'KILL MUTATION': 'ALTER DELETE',
  // Moving the tables of a store from before store.driftwatchDatabase: the script's optional upgrade block.
  'RENAME TABLE': null,
  DESCRIBE: 'SELECT',
};
const STATEMENT = /(?:^|[`'"])\s*(SELECT|WITH|INSERT INTO|CREATE TABLE|CREATE DATABASE|ALTER TABLE|DELETE FROM|TRUNCATE|OPTIMIZE|DROP|RENAME TABLE|EXCHANGE|KILL MUTATION|KILL QUERY|SYSTEM|UPDATE|ATTACH|DETACH|DESCRIBE|GRANT|REVOKE)\b([^`'"]*)/gm;

function statementKinds(): Map<string, string[]> {
  const kinds = new Map<string, string[]>();
  for (const { path, text } of CODE) {
    const body = path.endsWith('.sql') ? text.replace(/^--.*$/gm, '') : text;
    for (const [, keyword = '', rest = ''] of body.matchAll(STATEMENT)) {
      let kind = keyword;
      if (keyword === 'ALTER TABLE') {
        const action = /\b(ADD COLUMN|DROP COLUMN|MODIFY COLUMN|RENAME COLUMN|UPDATE|DELETE|MODIFY TTL|MODIFY SETTING|MATERIALIZE|DROP PARTITION|ATTACH PARTITION|REPLACE PARTITION)\b/.exec(rest);
        kind = `ALTER TABLE ${action?.[1] ?? '?'}`;
      }
      kinds.set(kind, [...(kinds.get(kind) ?? []), path]);
    }
  }
  // store.insert(table, rows) is an INSERT without a literal.
  if (CODE.some(({ text }) => /\bstore\.insert\(/.test(text))) kinds.set('INSERT INTO', [...(kinds.get('INSERT INTO') ?? []), 'store.insert']);
  return kinds;
}

/**
 * A store that records what driftwatch would send instead of sending it (no table exists yet: every read is empty).
 * Only what docs/operations.md's printout of the DDL gives it (kind, select, command): if ensureTables needs more,
 * that recipe breaks, and this test with it.
 */
function recordingStore(statements: string[], databaseEngine?: string): Store {
  const print = {
    kind: 'remote',
    // What system.databases says of driftwatch's database (none: it is created).
    select: async (sql: string) => (databaseEngine && /FROM system\.databases/.test(sql) ? [{ engine: databaseEngine }] : []),
    command: async (sql: string) => {
      statements.push(sql);
    },
  };
  return print as unknown as Store;
}

/** Production's shape: a server, source tables in the user's database, driftwatch's own in its database. */
const SERVER = parseConfig({
  store: { url: 'http://clickhouse.invalid:8123', database: 'payments', driftwatchDatabase: 'driftwatch' },
  tables: { events: VALUES.EVENTS_TABLE, outcomes: VALUES.OUTCOMES_TABLE },
});

async function ddlOf(config: Config, databaseEngine?: string): Promise<string[]> {
  const statements: string[] = [];
  const store = recordingStore(statements, databaseEngine);
  await ensureTables(store, config, { sources: false });
  await ensureRollupTables(store, config);
  await createOwnTable(store, config, ingestLedgerDdl(config));
  return statements;
}

const createdTable = (sql: string) => /^CREATE TABLE IF NOT EXISTS `([^`]+)`\.`([^`]+)`/.exec(sql.trim());

// ---- the script as text ---------------------------------------------------------------------------------------------

describe('deploy/grants.sql', () => {
  it('documents every placeholder it uses at the top, and uses every one it documents', () => {
    const documented = documentedPlaceholders();
    expect(documented.sort()).toEqual(Object.keys(VALUES).sort());
    const used = new Set(activeStatements().flatMap((s) => [...s.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] ?? '')));
    expect([...used].sort()).toEqual(documented.sort());
    expect(SCRIPT.indexOf('${DRIFTWATCH_PASSWORD}'), 'the placeholders are documented before the first statement').toBeGreaterThan(SCRIPT.indexOf('--   ${DRIFTWATCH_PASSWORD}'));
  });

  it("parses, statement by statement, in the embedded engine's parser (ClickHouse 26.7), optional blocks included", () => {
    const statements = [...activeStatements(), ...commentedStatements()].map((s) => fill(s, { ...VALUES, OLD_DATABASE: 'payments', GRAFANA_PASSWORD: 'x' }));
    expect(commentedStatements().length, 'the optional blocks are checked too').toBeGreaterThanOrEqual(8);
    expect(commentedStatements().some((s) => /ENGINE = Replicated\('\/clickhouse\/databases\/driftwatch', '\{shard\}', '\{replica\}'\)/.test(s))).toBe(true);
    for (const statement of statements) {
      const formatted = (() => {
        try {
          return queryBind('SELECT formatQuery({q:String})', { q: statement }, 'TSVRaw').trim();
        } catch (error) {
          throw new Error(`does not parse: ${statement}\n${(error as Error).message}`, { cause: error });
        }
      })();
      expect(formatted.length, statement).toBeGreaterThan(0);
    }
    // formatQuery knows the privilege names: a typo is a syntax error, not a silently different grant.
    expect(() => chdbQuery("SELECT formatQuery('GRANT ALTER DELET ON d.* TO u')", 'TSVRaw')).toThrow(/Syntax error/);
  });

  it('grants SELECT on the two source tables and nothing else on them', () => {
    for (const table of [VALUES.EVENTS_TABLE, VALUES.OUTCOMES_TABLE]) expect([...granted(table ?? '')]).toEqual(['SELECT']);
    const targets = new Set(grants().map((g) => g.target));
    for (const target of targets) expect(target, `a grant on ${target}: a source table, driftwatch's database or a system table`).toMatch(/^(payments\.(scoring_events|outcomes)|driftwatch\.\*|system\.\w+)$/);
  });

  it('lists exactly the tables driftwatch creates in its database', () => {
    const constants = tableConstants();
    const inCode = new Set([...ownTableNames(SERVER), ...constants.keys()]);
    expect(documentedTables().sort(), `tables in the code: ${JSON.stringify(Object.fromEntries(constants))}`).toEqual([...inCode].sort());
    // Every CREATE TABLE names its table through one of those constants (or the configured history table), in driftwatch's database.
    const sites = createTableSites();
    expect(sites.length).toBeGreaterThanOrEqual(10);
    const constantNames = new Set(CODE.flatMap(({ text }) => [...text.matchAll(/\b(\w*TABLES?\w*)\s*=\s*'driftwatch_\w+'/g)].map((m) => m[1] ?? '')));
    for (const { path, ref } of sites) {
      expect(ref, `${path}: CREATE TABLE … tableRef(config, ${ref}) names its table by a constant the test can see`).toMatch(
        new RegExp(`^(${[...constantNames].join('|')}|ROLLUP_TABLES(\\.\\w+|\\[\\w+\\])|config\\.tables\\.history|spec\\.table)$`),
      );
    }
  });
});

// ---- the script against the code ------------------------------------------------------------------------------------

describe('the grants cover what driftwatch does', () => {
  it("creates every one of its tables in its own database, which the script grants on as a whole (driftwatch.*), and its source tables nowhere", async () => {
    const ddl = await ddlOf(SERVER);
    const created = ddl.map(createdTable).filter((m): m is RegExpExecArray => m !== null);
    expect(created.length).toBeGreaterThanOrEqual(14);
    for (const [sql, database, table] of created) {
      expect(database, `${table} is created in driftwatch's database:\n${sql}`).toBe(SERVER.store.driftwatchDatabase);
      expect(ownTableNames(SERVER), `${table} is one of driftwatch's own tables`).toContain(table);
    }
    expect(ddl).toContain(`CREATE DATABASE IF NOT EXISTS \`${SERVER.store.driftwatchDatabase}\``);
    const own = granted(`${VALUES.DRIFTWATCH_DATABASE}.*`);
    for (const privilege of ['CREATE DATABASE', 'CREATE TABLE', 'SELECT', 'INSERT', 'ALTER ADD COLUMN']) expect(own.has(privilege), `${privilege} ON driftwatch.*`).toBe(true);
    for (const sql of ddl.filter((s) => /^ALTER TABLE/.test(s))) expect(sql, 'ALTERs are column additions to its own tables').toMatch(/^ALTER TABLE `driftwatch`\.`driftwatch_\w+` ADD COLUMN IF NOT EXISTS /);
  });

  it('grants what every kind of statement in src/ and queries/ needs; a new kind fails here until the script grants it', () => {
    const kinds = statementKinds();
    const own = granted(`${VALUES.DRIFTWATCH_DATABASE}.*`);
    for (const [kind, where] of kinds) {
      expect(kind in PRIVILEGE, `driftwatch now sends ${kind} (${[...new Set(where)].join(', ')}): grant what it needs in deploy/grants.sql and list it in this test`).toBe(true);
      const privilege = PRIVILEGE[kind];
      if (privilege) expect(own.has(privilege), `${kind} needs ${privilege} ON driftwatch.* (${[...new Set(where)].join(', ')})`).toBe(true);
    }
    for (const kind of ['DELETE FROM', 'TRUNCATE', 'ALTER TABLE ADD COLUMN', 'CREATE DATABASE']) expect(kinds.has(kind), `the scan still finds ${kind}`).toBe(true);
    expect(SCRIPT, 'RENAME TABLE (the move of an older store) is in the optional upgrade block').toMatch(/^-- GRANT SELECT, DROP TABLE ON \$\{OLD_DATABASE\}\.driftwatch_\* TO driftwatch;$/m);
  });

  it('grants SELECT on exactly the system tables driftwatch reads', () => {
    const read = systemTablesRead();
    expect(read.size).toBeGreaterThanOrEqual(5);
    const system = grants()
      .filter((g) => g.target.startsWith('system.'))
      .map((g) => {
        expect(g.privileges).toEqual(['SELECT']);
        return g.target.slice('system.'.length);
      });
    expect(system.sort(), `read: ${JSON.stringify(Object.fromEntries(read))}`).toEqual([...read.keys()].sort());
  });

  it("in a Replicated database driftwatch creates every table of its own with a Replicated engine, which parses; in another, plain ones", async () => {
    const ddl = (await ddlOf(SERVER, 'Replicated')).filter((s) => /^CREATE TABLE/.test(s));
    const created = new Set(ddl.map((sql) => createdTable(sql)?.[2]));
    for (const table of documentedTables().filter((name) => name !== 'driftwatch_demo')) expect(created.has(table), `creates ${table}`).toBe(true);
    for (const sql of ddl) {
      expect(sql).toMatch(/ENGINE = Replicated(Replacing)?MergeTree\b/);
      expect(sql).not.toMatch(/ENGINE = (?!Replicated)\w*MergeTree|non_replicated_deduplication_window/);
      expect(queryBind('SELECT formatQuery({q:String})', { q: sql }, 'TSVRaw')).toMatch(/ENGINE = Replicated/);
    }
    // The database exists (the DBA made it): no CREATE DATABASE is sent, so that grant is not needed then.
    expect((await ddlOf(SERVER, 'Replicated')).some((s) => /^CREATE DATABASE/.test(s))).toBe(false);
    const plain = (await ddlOf(SERVER, 'Atomic')).filter((s) => /^CREATE TABLE/.test(s));
    for (const sql of plain) expect(sql).not.toMatch(/ENGINE = Replicated/);
  });
});

// ---- driftwatch under exactly these grants ----------------------------------------------------------------------------

/**
 * The embedded engine (chdb: clickhouse-local) checks grants like a server. It cannot hold users created by SQL, so the
 * script's GRANTs become the `default` user's grants in a users.xml (the same GRANT syntax, without `TO`), and a fresh
 * engine loads it: a privilege ClickHouse does not know fails the load. What the engine cannot show here: CREATE USER
 * (parsed only) and the system grants' effect (it did not enforce access_control_improvements.
 * select_from_system_db_requires_grant set in its config: system tables stayed readable without a grant).
 */
describe('driftwatch under exactly these grants (embedded ClickHouse enforcing them)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-grants-'));
  const data = join(dir, 'data');
  const END = new Date('2026-11-20T12:00:00Z');
  const config = parseConfig({ store: { path: data }, tables: { events: VALUES.EVENTS_TABLE, outcomes: VALUES.OUTCOMES_TABLE } });
  let session: Session | undefined;
  let store: Store | undefined;

  const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const run = async <T>(sql: string) => (store as Store).select<T>(sql);
  const refused = async (sql: string) => {
    const error = await (store as Store).command(sql).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message, `refused: ${sql}`).toMatch(/Not enough privileges|ACCESS_DENIED|necessary to have the grant/);
  };

  beforeAll(async () => {
    // As an administrator: the user's database with the source tables, seeded, and a table driftwatch must not read.
    const admin = openStore(config);
    await admin.command('CREATE DATABASE IF NOT EXISTS payments');
    await seed(admin, config, { days: 9, end: END, seed: 5, scenarios: ['issuer-outage'], eventsPerDay: 4_000 });
    await admin.command('CREATE TABLE payments.cards (pan String) ENGINE = MergeTree ORDER BY pan');
    await admin.command("INSERT INTO payments.cards VALUES ('4111111111111111')");
    const before = await admin.select<{ name: string }>("SELECT name FROM system.databases WHERE name = 'driftwatch'");
    await admin.command('DROP DATABASE IF EXISTS driftwatch');
    expect(before.length, 'seed created driftwatch\'s database; it is dropped so that driftwatch creates it under the grants').toBe(1);
    await admin.close();
    await drainPending();

    // The engine again, as a user holding exactly the script's grants.
    const queries = grants().map((g) => `        <query>${xml(`GRANT ${g.privileges.join(', ')} ON ${g.target}`)}</query>`);
    writeFileSync(join(dir, 'users.xml'), defaultUserXml(`      <grants>\n${queries.join('\n')}\n      </grants>`));
    writeFileSync(join(dir, 'config.xml'), `<clickhouse>\n  <users_config>${xml(join(dir, 'users.xml'))}</users_config>\n</clickhouse>\n`);
    // The first connection to a data directory starts the engine with its arguments; the store's connection joins it.
    session = new Session(data, { connectionArgs: [`--config-file=${join(dir, 'config.xml')}`] });
    store = openStore(config);
  });

  afterAll(async () => {
    await store?.close();
    session?.close();
    await drainPending();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds exactly the grants of the script', async () => {
    const shown = (session as Session).query('SHOW GRANTS', 'TSVRaw');
    expect(shown).toMatch(/GRANT SELECT, INSERT, ALTER DELETE, ALTER ADD COLUMN, CREATE DATABASE, CREATE TABLE, TRUNCATE ON driftwatch\.\* TO default/);
    expect(shown).toMatch(/GRANT SELECT ON payments\.scoring_events TO default/);
    await refused('INSERT INTO payments.scoring_events (transaction_id) VALUES (\'x\')');
  });

  it('creates its database and tables, sees its source columns, folds the rollup (and rebuilds it: DELETE, TRUNCATE), runs cycles and writes history', async () => {
    const s = store as Store;
    await ensureTables(s, config, { sources: false });
    const check = await checkSources(s, config);
    expect(check.problems, 'system.columns shows the source tables to the user').toEqual([]);
    await refreshRollup(s, config, new Date(END.getTime() - 3_600_000));
    const first = await runCycle(s, config, { at: new Date(END.getTime() - 3_600_000) });
    await writeHistory(s, config, first, 'grants-1');
    await rebuildRollup(s, config, END);
    const second = await runCycle(s, config, { at: END });
    await writeHistory(s, config, second, 'grants-2');
    expect(second.evaluations.length).toBeGreaterThan(10);
    const [history] = await run<{ n: number }>('SELECT count() AS n FROM driftwatch.driftwatch_metrics');
    expect(Number(history?.n)).toBeGreaterThan(0);
    const tables = await run<{ name: string }>("SELECT name FROM system.tables WHERE database = 'driftwatch' ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(ownTableNames(config).filter((n) => !/ingest|demo/.test(n))));
  });

  it('writes, empties and adds columns to every one of its tables', async () => {
    const tables = (await run<{ name: string }>("SELECT name FROM system.tables WHERE database = 'driftwatch'")).map((t) => t.name);
    expect(tables.length).toBeGreaterThanOrEqual(13);
    for (const table of tables) {
      await (store as Store).command(`INSERT INTO driftwatch.${table} SELECT * FROM driftwatch.${table} LIMIT 0`);
      await (store as Store).command(`ALTER TABLE driftwatch.${table} ADD COLUMN IF NOT EXISTS grants_probe UInt8`);
      await (store as Store).command(`DELETE FROM driftwatch.${table} WHERE grants_probe = 1`);
    }
    await (store as Store).command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_rollup_orphans');
  });

  it('can do nothing else: no other table, no write to the sources, no DROP, no other database', async () => {
    await refused('SELECT * FROM payments.cards');
    await refused("INSERT INTO payments.outcomes (transaction_id) VALUES ('x')");
    await refused('DROP TABLE driftwatch.driftwatch_metrics');
    await refused('CREATE DATABASE IF NOT EXISTS elsewhere');
    await refused('CREATE TABLE payments.driftwatch_metrics (x UInt8) ENGINE = MergeTree ORDER BY x');
    await refused('OPTIMIZE TABLE driftwatch.driftwatch_metrics FINAL');
    await refused('ALTER TABLE driftwatch.driftwatch_metrics UPDATE note = \'\' WHERE 1');
  });
});
