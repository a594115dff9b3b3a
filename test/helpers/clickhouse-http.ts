// ClickHouse's HTTP interface, served in the test process and backed by the embedded engine (chdb), so that
// driftwatch's remote path (store.url) runs every one of its statements on real ClickHouse.
//
// How a request is run. Statements run one at a time (one queue for the whole helper). Each request gets a
// fresh engine connection (a chdb Session on the same data directory: its own settings, current database and
// query parameters, like the per-query context of a real server), and on it, in order:
//   1. `USE <database>` for the `database` URL parameter (or X-ClickHouse-Database header);
//   2. one `SET` with every URL setting as a string, as the server applies URL settings (an unknown setting
//      fails with the engine's UNKNOWN_SETTING);
//   3. `SELECT formatQuerySingleLine({statement:String})`, the statement bound as a parameter: the engine's
//      parser refuses a second statement ("Multi-statements are not allowed", SYNTAX_ERROR, as over real HTTP)
//      and gives the statement without its INSERT data;
//   4. `SET param_<name> = '…'` for every `param_<name>` (the engine binds the bytes the client sent: no
//      re-escaping), then `readonly` (the URL's, or 2 for a GET, as HTTPHandler does);
//   5. `EXPLAIN AST` of the one-line form, which names the statement's kind (the AST root:
//      SelectWithUnionQuery, InsertQuery, AlterQuery, CreateQuery, SYSTEM, …) and the tables it names;
//   6. the statement itself, output in `default_format` (or the X-ClickHouse-Format header) or TabSeparated.
// chdb's own @clickhouse/client adapter (chdb/connection, behind the embedded store) is deliberately not
// reused for this: it applies a request's settings as session `SET`s that outlive the request (a
// per-request insert_deduplication_token would stay on the connection), and it formats query parameters
// from JS values itself, whereas over HTTP they arrive already formatted (it would escape them twice).
//
// Supported: POST and GET (HEAD as GET) on any path (GET is readonly); `/ping` and `GET /` answer "Ok."; the
// query in the `query` URL parameter and/or the body (joined by a newline, the body after the parameter, as
// INSERT … FORMAT X with its rows in the body is sent); multipart/form-data bodies of `query` and `param_*`
// parts (what @clickhouse/client sends when parameters are too long for the URL); request bodies with
// Content-Encoding gzip, deflate or br; gzip/deflate/br responses when the request sets
// enable_http_compression=1 and sends Accept-Encoding (@clickhouse/client compresses neither way unless
// configured to); basic auth, X-ClickHouse-User/X-ClickHouse-Key headers, or user/password URL parameters;
// query_id (echoed in X-ClickHouse-Query-Id, generated if absent); session_id with session_timeout
// (default 60 s), session_check and close_session, over POST (see below). The answer: 200 with the result in
// the requested format and X-ClickHouse-Query-Id, -Format, -Timezone, -Server-Display-Name and -Summary
// headers (read_rows, read_bytes and elapsed_ns as the engine reports them; written_rows/written_bytes from
// the engine's InsertedRows/InsertedBytes counters, around INSERT statements only; result_rows/result_bytes
// always 0); on an error the HTTP status ClickHouse maps the error code to (its exceptionCodeToHTTPStatus:
// 400 syntax/parse, 403 access/auth, 404 unknown table/database/setting…, 408 TIMEOUT_EXCEEDED, 500
// otherwise), header X-ClickHouse-Exception-Code, and the body
// `Code: N. DB::Exception: <engine's message> (NAME) (version V)`. Within a session, what its statements SET
// and its temporary tables persist, and a request's URL settings and database are put back afterwards (so a
// URL setting the statement itself SETs is put back too); query parameters do not persist.
//
// Not supported (exact): ClickHouse's native compression (`compress=1`, `decompress=1`: 501 NOT_IMPLEMENTED);
// zstd/lz4/xz/… HTTP compression (a response is then sent uncompressed; such a request body is refused);
// binary INSERT formats in the body (Native, RowBinary, Parquet…: bodies are read as UTF-8 text); external
// data (multipart file parts: 501); `role` (answered with UNKNOWN_ROLE: the engine has no roles); GET with
// session_id (501: readonly cannot be applied to one request of a session); other methods than POST are run
// as GET; progress headers (send_progress_in_http_headers is accepted and set, but no X-ClickHouse-Progress is
// sent); streaming (whole results are buffered, as with wait_end_of_query=1); cancelling a statement when its
// client goes away; refusing mixed authentication methods (X-ClickHouse-User wins, then basic auth, then the
// URL); request lines and headers over 1 MiB + 64 KiB in all (ClickHouse's http_max_uri_size is 1 MiB).
//
// Users and grants: EMULATED, not enforced by the engine. What was tried (chdb 3.4 / ClickHouse 26.7):
// the embedded engine is clickhouse-local, whose access control reads users only from a users XML file
// (no writable access storage: CREATE USER fails with ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND); users
// defined in that XML, with <grants>, do load, but there is no way to act as one of them: chdb ignores
// --user/--password in a connection's arguments (every connection is `default`), and `EXECUTE AS`
// needs access_control_improvements.allow_impersonate_user, which clickhouse-local never reads
// (SUPPORT_IS_DISABLED). So every statement runs as the engine's `default` user (currentUser() says
// `default`), and a `selectOnly` user is checked before its statement runs: a statement whose kind (the
// engine's EXPLAIN AST root) is not a read (Select*, Explain, Describe, Exists*, Show*) and that names a
// listed table outside its SELECT parts, or (DROP/TRUNCATE/RENAME DATABASE) names the database holding one,
// is refused with `Code: 497 … <user>: Not enough privileges. To execute this query, it's necessary to have
// the grant <privilege> ON <db>.<table>. (ACCESS_DENIED)`, HTTP 403, and is not run. Tables a statement only
// reads (INSERT … SELECT FROM listed, ALTER … WHERE x IN (SELECT … FROM listed), CREATE … AS SELECT FROM
// listed) are allowed, as the real grant allows them. The table names are taken from the AST generously: a
// non-read statement is treated as naming `cur.x` for every table-position identifier x and `x.y` for every
// adjacent pair, so it may refuse more than ClickHouse would. It may also refuse less, where EXPLAIN AST does
// not show a table: the other table of ALTER … MOVE PARTITION … TO TABLE and REPLACE/ATTACH PARTITION … FROM,
// the TO table of CREATE MATERIALIZED VIEW, tables written through table functions (INSERT INTO FUNCTION
// merge(…)), and KILL MUTATION (its table is in a WHERE literal) are not checked. A statement EXPLAIN AST
// cannot parse is refused for such a user. The privilege named is the statement's (INSERT, ALTER DELETE,
// DROP TABLE, …), without ClickHouse's column list.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { Session, type ChdbResult } from 'chdb';

export interface ClickHouseHttpUser {
  password: string;
  /** Tables this user may only read: `db.table`, or a bare `table` meaning a table of that name in any database. */
  selectOnly?: string[];
}

export interface StatementError {
  code: number;
  name: string;
  message: string;
}

export interface RecordedStatement {
  /** 1, 2, … in the order the statements reached the engine queue. */
  seq: number;
  user: string;
  method: string;
  queryId: string;
  sessionId?: string;
  /** The current database the statement ran in. */
  database: string;
  /** The engine's name for the statement: the root of its EXPLAIN AST (SelectWithUnionQuery, InsertQuery, AlterQuery, CreateQuery, SYSTEM, …); '' when it never parsed. */
  kind: string;
  /** The kind only reads (Select*, Explain, Describe, Exists*, Show*). */
  read: boolean;
  /** Tables (db.table) a non-read statement names outside its SELECT parts, generously (see the file's header); [] for reads. */
  targets: string[];
  /** Tables (db.table, as named) in the statement's SELECT parts. */
  reads: string[];
  /** The statement as sent, cut at 20,000 characters; when the request had both a `query` URL parameter and a body (INSERT … FORMAT X with its rows in the body), only the parameter. */
  text: string;
  /** The engine's one-line formatting of the statement (without INSERT data); '' when it did not parse. */
  normalized: string;
  /** URL settings of the request (not the HTTP parameters such as query_id, database, default_format). */
  settings: Record<string, string>;
  /** The `param_*` values as sent. */
  params: Record<string, string>;
  status: number;
  error?: StatementError;
  /** Refused by the emulated grants (ACCESS_DENIED): never run. */
  denied: boolean;
  /** When its turn on the engine began (performance.now()), and how long it held the engine, in ms. */
  startedAt: number;
  ms: number;
}

export interface ClickHouseHttp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every statement that reached the engine queue, or was refused before it (authentication). */
  statements: RecordedStatement[];
  /** The engine's version, as in its error messages. */
  version: string;
  /** Stops listening (the port then refuses connections), drops open connections, waits for the running statement and releases the engine. */
  close(): Promise<void>;
}

export interface ClickHouseHttpOptions {
  /** The engine's data directory (one per process). */
  path: string;
  /** Users besides `default` (no password, unrestricted); a `default` entry here replaces it. */
  users?: Record<string, ClickHouseHttpUser>;
}

/** HTTP parameters that are not settings (ClickHouse's HTTPHandler reserved names, plus `query`). */
const RESERVED = new Set([
  'query',
  'database',
  'default_format',
  'user',
  'password',
  'quota_key',
  'query_id',
  'stacktrace',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'client_protocol_version',
  'compress',
  'decompress',
]);

/** ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp, by error name. */
const STATUS_BY_NAME: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  ...Object.fromEntries(['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED'].map((n) => [n, 403])),
  ...Object.fromEntries(
    [
      'BAD_ARGUMENTS',
      'CANNOT_COMPILE_REGEXP',
      'CANNOT_PARSE_TEXT',
      'CANNOT_PARSE_ESCAPE_SEQUENCE',
      'CANNOT_PARSE_QUOTED_STRING',
      'CANNOT_PARSE_DATE',
      'CANNOT_PARSE_DATETIME',
      'CANNOT_PARSE_NUMBER',
      'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
      'CANNOT_PARSE_IPV4',
      'CANNOT_PARSE_IPV6',
      'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
      'CANNOT_PARSE_UUID',
      'DUPLICATE_COLUMN',
      'ILLEGAL_COLUMN',
      'UNKNOWN_ELEMENT_IN_AST',
      'UNKNOWN_TYPE_OF_AST_NODE',
      'THERE_IS_NO_COLUMN',
      'TOO_DEEP_AST',
      'TOO_BIG_AST',
      'UNEXPECTED_AST_STRUCTURE',
      'SYNTAX_ERROR',
      'INCORRECT_DATA',
      'TYPE_MISMATCH',
      'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
    ].map((n) => [n, 400]),
  ),
  ...Object.fromEntries(
    [
      'UNKNOWN_TABLE',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_IDENTIFIER',
      'UNKNOWN_TYPE',
      'UNKNOWN_STORAGE',
      'UNKNOWN_DATABASE',
      'UNKNOWN_SETTING',
      'UNKNOWN_DIRECTION_OF_SORTING',
      'UNKNOWN_AGGREGATE_FUNCTION',
      'UNKNOWN_FORMAT',
      'UNKNOWN_DATABASE_ENGINE',
      'UNKNOWN_TYPE_OF_QUERY',
      'UNKNOWN_ROLE',
    ].map((n) => [n, 404]),
  ),
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  SOCKET_TIMEOUT: 503,
  CANNOT_OPEN_FILE: 503,
  HTTP_LENGTH_REQUIRED: 411,
  TIMEOUT_EXCEEDED: 408,
  CANNOT_SCHEDULE_TASK: 503,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

const READ_KIND = /^(Select|Explain|Describe|Exists|Show)/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TEXT_LIMIT = 20_000;

/** An error answered as ClickHouse answers it. */
class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** The engine's error as code, name and message (its `Code: N. DB::Exception: … (NAME)`). */
function engineError(error: unknown): StatementError {
  if (error instanceof ServerError) return { code: error.code, name: error.errorName, message: error.message };
  const text = (error instanceof Error ? error.message : String(error)).trim();
  const match = /^Code: (\d+)\. DB::Exception: ([\s\S]*) \(([A-Z][A-Z0-9_]*)\)(?: \(version [^)]*\))?$/.exec(text);
  if (match) return { code: Number(match[1]), name: match[3] as string, message: match[2] as string };
  return { code: 1001, name: 'STD_EXCEPTION', message: text };
}

/** The body of an error answer: `Code: N. DB::Exception: <message>. (NAME) (version V)`. */
function errorBody(e: StatementError, version: string): Buffer {
  const message = /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
  return Buffer.from(`Code: ${e.code}. DB::Exception: ${message} (${e.name}) (version ${version})\n`);
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (/^(tsv|tabseparated)/.test(f)) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (/eachrow|^jsonlines$|^ndjson$/.test(f)) return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
}

interface AstNode {
  depth: number;
  type: string;
  name: string;
  line: string;
}

function parseAst(text: string): AstNode[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const depth = line.length - line.trimStart().length;
      const body = line
        .trim()
        .replace(/ \(children \d+\)$/, '')
        .replace(/ \(alias [^)]*\)$/, '');
      const space = body.indexOf(' ');
      return { depth, type: space < 0 ? body : body.slice(0, space), name: space < 0 ? '' : body.slice(space + 1), line: body };
    });
}

interface Classified {
  kind: string;
  read: boolean;
  targets: string[];
  /** Databases a database-level statement (DROP/TRUNCATE/RENAME DATABASE) names. */
  databases: string[];
  reads: string[];
  /** The output format the statement names (FORMAT clause), if any. */
  format?: string;
}

/** What the engine's AST says a statement is and names (see the file's header for how generous `targets` is). */
function classify(ast: AstNode[], database: string): Classified {
  const root = ast[0];
  const kind = root ? (root.line.startsWith('SYSTEM query') ? 'SYSTEM' : root.type) : '';
  const read = READ_KIND.test(kind);
  const qualify = (name: string) => (name.includes('.') ? name : `${database}.${name}`);
  const reads: string[] = [];
  const targets: string[] = [];
  const ids: string[] = [];
  let format: string | undefined;
  let selectDepth: number | undefined;
  for (const node of ast.slice(1)) {
    if (selectDepth !== undefined && node.depth <= selectDepth) selectDepth = undefined;
    if (selectDepth === undefined && /^Select(WithUnion|IntersectExcept)Query$/.test(node.type)) selectDepth = node.depth;
    const inSelect = read || selectDepth !== undefined;
    if (node.type === 'TableIdentifier') (inSelect ? reads : targets).push(qualify(node.name));
    if (node.depth === 1 && node.type === 'Identifier') ids.push(node.name);
  }
  if (read) {
    // A read's own depth-1 identifier is its FORMAT (SETTINGS show as `Set`).
    format = ids.at(-1);
    return { kind, read, targets: [], databases: [], reads: [...new Set(reads)], ...(format ? { format } : {}) };
  }
  const databases: string[] = [];
  const [first, second] = ids;
  if (kind !== 'Rename' && ids.length === 2) targets.push(`${first}.${second}`);
  else if (kind !== 'Rename' && ids.length === 1 && first !== undefined) {
    // `DropQuery src  ` (database, empty table) is DROP/TRUNCATE DATABASE src.
    if (root && root.line === `${kind} ${first} `) databases.push(first);
    else targets.push(qualify(first));
  } else {
    for (const [i, id] of ids.entries()) {
      targets.push(qualify(id));
      const next = ids[i + 1];
      if (next !== undefined) targets.push(`${id}.${next}`);
      if (kind === 'Rename') databases.push(id);
    }
  }
  return { kind, read, targets: [...new Set(targets)], databases, reads: [...new Set(reads)] };
}

function privilegeOf(kind: string, ast: AstNode[]): string {
  switch (kind) {
    case 'InsertQuery':
      return 'INSERT';
    case 'AlterQuery': {
      const command = ast.find((n) => n.type === 'AlterCommand');
      return command ? `ALTER ${command.name.replace(/_/g, ' ')}` : 'ALTER';
    }
    case 'DeleteQuery':
      return 'ALTER DELETE';
    case 'DropQuery':
    case 'Rename':
    case 'DetachQuery':
      return 'DROP TABLE';
    case 'TruncateQuery':
      return 'TRUNCATE';
    case 'OptimizeQuery':
      return 'OPTIMIZE';
    case 'CreateQuery':
    case 'AttachQuery':
      return 'CREATE TABLE';
    default:
      return kind;
  }
}

interface Request {
  method: string;
  user: string;
  queryId: string;
  sessionId?: string;
  sessionTimeoutMs: number;
  sessionCheck: boolean;
  closeSession: boolean;
  database?: string;
  format: string;
  settings: Record<string, string>;
  params: Record<string, string>;
  /** The whole statement (query parameter, newline, body). */
  text: string;
  /** What is recorded as the text. */
  shown: string;
}

interface Answer {
  status: number;
  body: Buffer;
  format: string;
  error?: StatementError;
  summary: Record<string, string>;
}

interface OpenSession {
  connection: Session;
  timer?: NodeJS.Timeout;
}

function summaryOf(result: ChdbResult | undefined, written: { rows: number; bytes: number }): Record<string, string> {
  return {
    read_rows: String(result?.rowsRead ?? 0),
    read_bytes: String(result?.bytesRead ?? 0),
    written_rows: String(written.rows),
    written_bytes: String(written.bytes),
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: '0',
    elapsed_ns: String(Math.round((result?.elapsed ?? 0) * 1e9)),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    case 'br':
      return zlib.brotliDecompressSync(raw);
    default:
      throw new ServerError(1, 'UNSUPPORTED_METHOD', `Unknown HTTP compression method: ${encoding}`);
  }
}

/** The `name="…"` parts of a multipart/form-data body. */
function multipartParts(body: string, contentTypeHeader: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader);
  const marker = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  const parts = new Map<string, string>();
  for (const chunk of body.split(marker).slice(1)) {
    if (chunk.startsWith('--')) break;
    const split = chunk.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = chunk.slice(0, split);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    if (/filename=/i.test(headers)) throw new ServerError(48, 'NOT_IMPLEMENTED', 'External data (multipart file parts) is not supported by this test server');
    parts.set(name, chunk.slice(split + 4).replace(/\r\n$/, ''));
  }
  return parts;
}

export async function startClickHouseHttp(options: ClickHouseHttpOptions): Promise<ClickHouseHttp> {
  const users: Record<string, ClickHouseHttpUser> = { default: { password: '' }, ...(options.users ?? {}) };
  const primary = new Session(options.path);
  const info = (await primary.queryAsync('SELECT version() AS v, timezone() AS tz, hostName() AS host', { format: 'JSONEachRow' })).json<{ v: string; tz: string; host: string }>();
  const version = info.v;
  const statements: RecordedStatement[] = [];
  const sessions = new Map<string, OpenSession>();
  let queue: Promise<unknown> = Promise.resolve();
  let seq = 0;
  let closed = false;

  /** Runs `work` after everything queued before it: one statement on the engine at a time. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  const run = (connection: Session, sql: string, format = 'TSVRaw') => connection.queryAsync(sql, { format });

  async function counters(connection: Session): Promise<{ rows: number; bytes: number }> {
    const rows = (await run(connection, "SELECT event, value FROM system.events WHERE event IN ('InsertedRows', 'InsertedBytes')", 'JSONEachRow'))
      .text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; value: number });
    return { rows: Number(rows.find((r) => r.event === 'InsertedRows')?.value ?? 0), bytes: Number(rows.find((r) => r.event === 'InsertedBytes')?.value ?? 0) };
  }

  /** Tables of the user's list that a non-read statement acts on, as db.table; [] when none. */
  async function deniedTables(connection: Session, user: ClickHouseHttpUser, c: Classified): Promise<string[]> {
    const hits: string[] = [];
    for (const listed of user.selectOnly ?? []) {
      const dot = listed.indexOf('.');
      if (dot >= 0) {
        if (c.targets.includes(listed) || c.databases.includes(listed.slice(0, dot))) hits.push(listed);
        continue;
      }
      hits.push(...c.targets.filter((t) => t.slice(t.indexOf('.') + 1) === listed));
      if (c.databases.length > 0) {
        const held = (await run(connection, `SELECT database FROM system.tables WHERE name = ${sqlString(listed)}`)).text().split('\n').filter(Boolean);
        hits.push(...held.filter((db) => c.databases.includes(db)).map((db) => `${db}.${listed}`));
      }
    }
    return [...new Set(hits)];
  }

  async function openSession(request: Request): Promise<{ connection: Session; session?: OpenSession }> {
    if (!request.sessionId) return { connection: new Session(options.path) };
    let session = sessions.get(request.sessionId);
    if (!session) {
      if (request.sessionCheck) throw new ServerError(372, 'SESSION_NOT_FOUND', `Session ${request.sessionId} not found`);
      session = { connection: new Session(options.path) };
      sessions.set(request.sessionId, session);
    }
    return { connection: session.connection, session };
  }

  function releaseSession(request: Request, connection: Session, session: OpenSession | undefined): void {
    if (!session || !request.sessionId) {
      connection.close();
      return;
    }
    clearTimeout(session.timer);
    const id = request.sessionId;
    const end = () => {
      sessions.delete(id);
      session.connection.close();
    };
    if (request.closeSession) end();
    else session.timer = setTimeout(() => void exclusive(async () => end()), request.sessionTimeoutMs).unref();
  }

  /** Runs one request's statement on the engine (inside the queue) and records it. */
  async function execute(request: Request): Promise<Answer> {
    const started = performance.now();
    const record: RecordedStatement = {
      seq: ++seq,
      user: request.user,
      method: request.method,
      queryId: request.queryId,
      ...(request.sessionId ? { sessionId: request.sessionId } : {}),
      database: request.database ?? 'default',
      kind: '',
      read: false,
      targets: [],
      reads: [],
      text: request.shown,
      normalized: '',
      settings: request.settings,
      params: request.params,
      status: 200,
      denied: false,
      startedAt: started,
      ms: 0,
    };
    statements.push(record);
    let format = request.format;
    let restore: string | undefined;
    let connection: Session | undefined;
    let session: OpenSession | undefined;
    try {
      ({ connection, session } = await openSession(request));
      if (session) {
        // A session keeps what its statements SET; what this request's URL sets is put back afterwards.
        const names = Object.keys(request.settings).filter((k) => SETTING_NAME.test(k));
        const before = names.length
          ? ((await run(connection, `SELECT name, value FROM system.settings WHERE name IN (${names.map(sqlString).join(', ')})`, 'JSONEachRow')).text().split('\n').filter(Boolean).map((l) => JSON.parse(l)) as { name: string; value: string }[])
          : [];
        const current = (await run(connection, 'SELECT currentDatabase()')).text().trim();
        restore = [before.length ? `SET ${before.map((s) => `${s.name} = ${sqlString(s.value)}`).join(', ')}` : '', `USE ${quoteIdentifier(current)}`].filter(Boolean).join('; ');
      }
      if (request.database !== undefined) await run(connection, `USE ${quoteIdentifier(request.database)}`);
      if (session) record.database = (await run(connection, 'SELECT currentDatabase()')).text().trim();
      // URL settings first (readonly last: it would refuse what follows), as the server applies them to the query's context.
      const settings: string[] = [];
      for (const [name, value] of Object.entries(request.settings)) {
        if (!SETTING_NAME.test(name)) throw new ServerError(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'`);
        if (name !== 'readonly') settings.push(`${name} = ${sqlString(value)}`);
      }
      if (settings.length > 0) await run(connection, `SET ${settings.join(', ')}`);

      // The statement goes to the parser as a bound parameter, not a literal: a literal would count its INSERT
      // data against max_query_size, which the server applies to the query part only. (chdb clears bound
      // parameters after such a call, so the request's own are set after it.)
      let normalized: string;
      try {
        normalized = (await connection.queryBindAsync('SELECT formatQuerySingleLine({statement:String})', { statement: request.text }, { format: 'TSVRaw' })).text().replace(/\n$/, '');
      } catch (error) {
        // The engine's parser's own words, without the scope of the SELECT that asked it.
        const e = engineError(error);
        const cut = e.message.lastIndexOf(': In scope SELECT formatQuerySingleLine(');
        throw new ServerError(e.code, e.name, cut >= 0 ? e.message.slice(0, cut).trim() : e.message);
      }
      record.normalized = normalized;

      const assignments: string[] = [];
      for (const [name, value] of Object.entries(request.params)) {
        if (!SETTING_NAME.test(name)) throw new ServerError(456, 'UNKNOWN_QUERY_PARAMETER', `Bad query parameter name: ${name}`);
        assignments.push(`param_${name} = ${sqlString(value)}`);
      }
      // HTTPHandler: "Only readonly queries are allowed for HTTP GET requests" (readonly = 2 unless set). HEAD as GET.
      const get = request.method !== 'POST';
      const readonly = request.settings.readonly ?? (get ? '2' : undefined);
      if (readonly !== undefined) assignments.push(`readonly = ${sqlString(get && readonly === '0' ? '2' : readonly)}`);
      if (assignments.length > 0) await run(connection, `SET ${assignments.join(', ')}`);

      let astText = '';
      for (const statement of [normalized, request.text]) {
        try {
          astText = (await run(connection, `EXPLAIN AST ${statement}`)).text();
          break;
        } catch {
          // The one-line form did not parse again (or the original is too large for EXPLAIN): unclassified.
        }
      }
      const ast = parseAst(astText);
      const classified = classify(ast, record.database);
      Object.assign(record, { kind: classified.kind, read: classified.read, targets: classified.targets, reads: classified.reads });
      if (classified.format) format = classified.format;

      const user = users[request.user];
      if (user?.selectOnly?.length && classified.kind === '') {
        record.denied = true;
        throw new ServerError(497, 'ACCESS_DENIED', `${request.user}: Not enough privileges: this test server could not classify the statement (EXPLAIN AST failed), so it does not run it for a user with selectOnly tables`);
      }
      if (user?.selectOnly?.length && !classified.read) {
        const denied = await deniedTables(connection, user, classified);
        if (denied.length > 0) {
          record.denied = true;
          throw new ServerError(497, 'ACCESS_DENIED', `${request.user}: Not enough privileges. To execute this query, it's necessary to have the grant ${privilegeOf(classified.kind, ast)} ON ${denied[0]}`);
        }
      }

      const counting = classified.kind === 'InsertQuery';
      const before = counting ? await counters(connection) : { rows: 0, bytes: 0 };
      const result = await run(connection, request.text, request.format);
      const after = counting ? await counters(connection) : { rows: 0, bytes: 0 };
      return { status: 200, body: Buffer.from(result.bytes()), format, summary: summaryOf(result, { rows: after.rows - before.rows, bytes: after.bytes - before.bytes }) };
    } catch (error) {
      const e = engineError(error);
      record.error = e;
      record.status = STATUS_BY_NAME[e.name] ?? 500;
      return { status: record.status, body: errorBody(e, version), format, error: e, summary: summaryOf(undefined, { rows: 0, bytes: 0 }) };
    } finally {
      record.ms = performance.now() - started;
      if (connection) {
        if (restore) await run(connection, restore).catch(() => undefined);
        releaseSession(request, connection, session);
      }
    }
  }

  function authenticate(req: IncomingMessage, url: URL): { user: string; password: string } {
    const header = req.headers['x-clickhouse-user'];
    if (typeof header === 'string') return { user: header, password: String(req.headers['x-clickhouse-key'] ?? '') };
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    return { user: url.searchParams.get('user') ?? 'default', password: url.searchParams.get('password') ?? '' };
  }

  function send(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>, compress: boolean): void {
    if (res.destroyed) return;
    let payload = body;
    if (compress) {
      const accepted = String(req.headers['accept-encoding'] ?? '').toLowerCase();
      const codec = ['gzip', 'br', 'deflate'].find((c) => accepted.split(',').some((a) => a.trim().split(';')[0] === c));
      if (codec) {
        payload = codec === 'gzip' ? zlib.gzipSync(body) : codec === 'br' ? zlib.brotliCompressSync(body) : zlib.deflateSync(body);
        headers['Content-Encoding'] = codec;
      }
    }
    res.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
    res.end(payload);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    if ((method === 'GET' || method === 'HEAD') && (url.pathname === '/ping' || url.pathname === '/replicas_status' || (url.pathname === '/' && !url.searchParams.has('query')))) {
      send(req, res, 200, Buffer.from('Ok.\n'), { 'Content-Type': 'text/html; charset=UTF-8' }, false);
      return;
    }
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const baseHeaders: Record<string, string> = {
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': info.tz,
      'X-ClickHouse-Server-Display-Name': info.host,
    };
    const settings: Record<string, string> = {};
    const params: Record<string, string> = {};
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('param_')) params[key.slice(6)] = value;
      else if (!RESERVED.has(key)) settings[key] = value;
    }
    const compress = settings.enable_http_compression === '1';
    const fail = (error: ServerError, user: string, text: string) => {
      const status = STATUS_BY_NAME[error.errorName] ?? 500;
      statements.push({
        seq: ++seq,
        user,
        method,
        queryId,
        database: url.searchParams.get('database') ?? 'default',
        kind: '',
        read: false,
        targets: [],
        reads: [],
        text,
        normalized: '',
        settings,
        params,
        status,
        error: { code: error.code, name: error.errorName, message: error.message },
        denied: false,
        startedAt: performance.now(),
        ms: 0,
      });
      send(req, res, status, errorBody({ code: error.code, name: error.errorName, message: error.message }, version), { ...baseHeaders, 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(error.code) }, compress);
    };

    const { user, password } = authenticate(req, url);
    let query = url.searchParams.get('query') ?? '';
    let body = '';
    try {
      if (method === 'POST') {
        const decoded = decodeBody(raw, req.headers['content-encoding']);
        const type = String(req.headers['content-type'] ?? '');
        if (type.toLowerCase().startsWith('multipart/form-data')) {
          for (const [name, value] of multipartParts(decoded.toString('utf8'), type)) {
            if (name === 'query') query = query ? `${query}\n${value}` : value;
            else if (name.startsWith('param_')) params[name.slice(6)] = value;
          }
        } else body = decoded.toString('utf8');
      }
    } catch (error) {
      fail(error instanceof ServerError ? error : new ServerError(1001, 'STD_EXCEPTION', (error as Error).message), user, query);
      return;
    }
    const text = query && body ? `${query}\n${body}` : query || body;
    const shown = query && body ? query : text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT)}… [${text.length - TEXT_LIMIT} more characters]` : text;

    const known = users[user];
    if (!known || known.password !== password) {
      fail(new ServerError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`), user, shown);
      return;
    }
    if (url.searchParams.get('compress') === '1' || url.searchParams.get('decompress') === '1') {
      fail(new ServerError(48, 'NOT_IMPLEMENTED', 'ClickHouse native HTTP compression (compress=1, decompress=1) is not supported by this test server'), user, shown);
      return;
    }
    const role = url.searchParams.get('role');
    if (role) {
      fail(new ServerError(511, 'UNKNOWN_ROLE', `There is no role \`${role}\` in \`user directories\``), user, shown);
      return;
    }
    const sessionId = url.searchParams.get('session_id') ?? undefined;
    if (sessionId && method !== 'POST') {
      fail(new ServerError(48, 'NOT_IMPLEMENTED', 'GET requests in a session (session_id) are not supported by this test server: use POST'), user, shown);
      return;
    }
    const database = url.searchParams.get('database') ?? (typeof req.headers['x-clickhouse-database'] === 'string' ? req.headers['x-clickhouse-database'] : undefined);
    const format = url.searchParams.get('default_format') ?? (typeof req.headers['x-clickhouse-format'] === 'string' ? req.headers['x-clickhouse-format'] : undefined) ?? 'TabSeparated';
    const request: Request = {
      method,
      user,
      queryId,
      ...(sessionId ? { sessionId } : {}),
      sessionTimeoutMs: Number(url.searchParams.get('session_timeout') ?? 60) * 1000,
      sessionCheck: url.searchParams.get('session_check') === '1',
      closeSession: url.searchParams.get('close_session') === '1',
      ...(database ? { database } : {}),
      format,
      settings,
      params,
      text,
      shown,
    };
    const answer = await exclusive(() => execute(request));
    const headers: Record<string, string> = {
      ...baseHeaders,
      'X-ClickHouse-Format': answer.format,
      'X-ClickHouse-Summary': JSON.stringify(answer.summary),
      'Content-Type': answer.error ? 'text/plain; charset=UTF-8' : contentType(answer.format),
    };
    if (answer.error) headers['X-ClickHouse-Exception-Code'] = String(answer.error.code);
    send(req, res, answer.status, answer.body, headers, compress);
  }

  const sockets = new Set<Socket>();
  // ClickHouse takes URLs up to http_max_uri_size (1 MiB): query parameters in the URL can be long; Node's default stops at 16 KiB.
  const server = createServer({ maxHeaderSize: (1 << 20) + (64 << 10) }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': '1001' });
        res.end(`Code: 1001. DB::Exception: ${(error as Error)?.message ?? String(error)}. (STD_EXCEPTION) (version ${version})\n`);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    statements,
    version,
    async close() {
      if (closed) return;
      closed = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
      await queue;
      for (const session of sessions.values()) {
        clearTimeout(session.timer);
        session.connection.close();
      }
      sessions.clear();
      primary.close();
    },
  };
}
