// `driftwatch advise`: measures what driftwatch's heaviest reads select of the source tables and words the DDL a DBA may apply, with what it gains and costs. Sends only SELECT and EXPLAIN.
import { learnMaturity } from '../../aggregates/maturity.js';
import { OPEN_END_MS, type Piece } from '../../aggregates/pieces.js';
import type { Config } from '../../config/index.js';
import { quoteIdentifier } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { checkSources, type Store } from '../../store/index.js';
import { explainRead, minmaxKept, tableFacts, timeWidth, type TableFacts, type TableScan } from './measure.js';
import { plannedReads, type PlannedRead, type SourceKey } from './reads.js';

/** A read as measured: what it selects of each source table now. */
export interface MeasuredRead {
  id: string;
  phase: 'cold' | 'steady';
  what: string;
  query: string;
  ranges: Partial<Record<SourceKey, { from: string; to: string | null }[]>>;
  scans: TableScan[];
}

/** What an index would change for one read: granules of the table it selects now, and about how many with the index. */
export interface ReadGain {
  read: string;
  what: string;
  now: number;
  expected: number;
  total: number;
}

export interface Advice {
  key: SourceKey;
  table: string;
  column: string;
  /** The config key the column comes from: `columns.outcomes.outcome_time`. */
  configKey: string;
  index: string;
  kind: 'minmax index';
  /** The statements, in order, each without a trailing semicolon. */
  ddl: string[];
  gains: ReadGain[];
  cost: {
    /** About what the index takes on disk: a min and a max per granule and its mark. */
    indexBytes: number;
    granules: number;
    parts: number;
    /** What MATERIALIZE INDEX reads: the column, once, from every active part. */
    materializeReadsBytes: number;
    columnBytes: number;
    words: string[];
  };
}

export interface AdviceDocument {
  at: string;
  store: { kind: string; location: string };
  /** What advise sent: SELECT (system tables, the column's min and max per granule) and EXPLAIN; nothing else. */
  statements: 'SELECT and EXPLAIN only';
  maturity: { ms: number; source: 'config' | 'learned' | 'default' };
  tables: TableFacts[];
  reads: MeasuredRead[];
  advice: Advice[];
  /** Why other accelerators are not advised, and what advice cannot do here. */
  notes: string[];
}

/** Advice counts when it removes at least this share of the granules a read selects now. */
export const HELPS = 0.25;

const MERGE_TREE = /MergeTree$/;

/**
 * Measures the reads a cold fold and a steady cycle send as of `at` and words the advice. Only reads: the source
 * check (system.columns, DESCRIBE of an expression mapping), system tables, EXPLAIN of each read, and one pass over
 * each candidate time column (its min and max per granule, what a min-max index would store).
 */
export async function advise(store: Store, config: Config, at: Date): Promise<AdviceDocument> {
  const sources = await checkSources(store, config);
  const missing = sources.problems.filter((p) => p.kind === 'missing');
  if (missing.length > 0) {
    throw new ConfigError(`the store does not hold the configured source tables:\n${missing.map((p) => `  - ${p.text}`).join('\n')}\nfix tables.* / columns.* / segments in the config; nothing was read or changed`);
  }
  let settled = sources.config;
  let maturitySource: AdviceDocument['maturity']['source'] = settled.windows.maturitySource === 'config' ? 'config' : 'default';
  if (maturitySource !== 'config') {
    // As a cycle would learn it (a SELECT; advise keeps nothing): where the label strip sits.
    const learned = await learnMaturity(store, settled, at);
    if (learned) {
      settled = { ...settled, windows: { ...settled.windows, maturity: learned.maturityMs } };
      maturitySource = 'learned';
    }
  }
  const tables = [await tableFacts(store, settled, 'events'), await tableFacts(store, settled, 'outcomes')];
  const events = tables[0] as TableFacts;
  const spanHours = await eventHours(store, events);
  const planned = plannedReads(settled, at, spanHours > 0 ? events.rows / spanHours : events.rows / 24);
  const measurable = tables.filter((t) => MERGE_TREE.test(t.engine));
  const reads: MeasuredRead[] = [];
  for (const read of planned) reads.push({ id: read.id, phase: read.phase, what: read.what, query: read.query, ranges: rangesText(read), scans: await explainRead(store, read, measurable) });

  const advice: Advice[] = [];
  const notes: string[] = [];
  for (const table of tables) {
    const verdict = await candidate(store, table, planned, reads);
    if ('advice' in verdict) advice.push(verdict.advice);
    notes.push(...verdict.notes);
  }
  return {
    at: at.toISOString(),
    store: { kind: store.kind, location: store.location },
    statements: 'SELECT and EXPLAIN only',
    maturity: { ms: settled.windows.maturity, source: maturitySource },
    tables,
    reads,
    advice,
    notes,
  };
}

/** Hours the events table spans (by its time column's min and max), to size fold chunks as rollup/fold.ts does; 0 when unknown. */
async function eventHours(store: Store, events: TableFacts): Promise<number> {
  if (!events.time.column || events.rows === 0) return 0;
  const column = quoteIdentifier(events.time.column);
  const [row] = await store.select<{ span: number }>(
    `SELECT (toUnixTimestamp64Milli(toDateTime64(max(${column}), 3)) - toUnixTimestamp64Milli(toDateTime64(min(${column}), 3))) / 3600000 AS span FROM ${quoteIdentifier(events.database)}.${quoteIdentifier(events.name)}`,
    {},
    'advise events span',
  );
  return Math.max(0, Number(row?.span ?? 0));
}

function rangesText(read: PlannedRead): MeasuredRead['ranges'] {
  const text = (pieces: Piece[]) => pieces.map((p) => ({ from: new Date(p.from).toISOString(), to: p.to >= OPEN_END_MS ? null : new Date(p.to).toISOString() }));
  const out: MeasuredRead['ranges'] = {};
  for (const key of ['events', 'outcomes'] as const) {
    const pieces = read.ranges[key];
    if (pieces) out[key] = text(pieces);
  }
  return out;
}

/** The default index name: `dw_` and the column. */
export function indexName(column: string): string {
  return `dw_${column}`.slice(0, 63);
}

/** The table's time column is already what its parts or sorting key are ordered by: time reads prune by them. */
function timeOrdered(table: TableFacts, column: string): string | undefined {
  const mentions = (key: string) => new RegExp(`(^|[^A-Za-z0-9_])${column}([^A-Za-z0-9_]|$)`).test(key);
  if (table.partitionKey && mentions(table.partitionKey)) return `partitioned by ${table.partitionKey}`;
  const firstKey = table.sortingKey.split(',')[0]?.trim() ?? '';
  if (firstKey && mentions(firstKey)) return `ordered by ${table.sortingKey}`;
  return undefined;
}

type Verdict = { advice: Advice; notes: string[] } | { notes: string[] };

/** Whether a min-max index on the table's time column helps the measured reads, and the advice and notes that say so. */
async function candidate(store: Store, table: TableFacts, planned: readonly PlannedRead[], reads: readonly MeasuredRead[]): Promise<Verdict> {
  const label = `${table.key} (${table.database}.${table.name})`;
  const configKey = `columns.${table.key}.${table.time.canonical}`;
  const notes: string[] = [];
  if (!MERGE_TREE.test(table.engine)) {
    const distributed = table.engine === 'Distributed' ? ` (${table.engineFull}): run advise on a shard with tables.${table.key} set to its local table; an index there goes on every shard (ON CLUSTER)` : '';
    return { notes: [`${label}: engine ${table.engine} has no parts or granules of its own to measure${distributed || '; advise measures MergeTree tables'}`] };
  }
  if (table.engine.includes('Replacing')) {
    notes.push(
      `${label}: no projection advised: it is a ${table.engine}, and a projection there can make your own OPTIMIZE … FINAL fail (README, "Source tables are only read"); nor a partition by time: it replaces a transaction's rows only within one partition`,
    );
  }
  const column = table.time.column;
  if (!column) return { notes: [...notes, `${label}: ${configKey} is an expression (${table.time.mapping}); advice cannot use it: an index on it would serve only reads that repeat the expression exactly`] };
  const existing = table.skipIndexes.find((i) => i.expr.replace(/`/g, '') === column);
  if (existing) return { notes: [...notes, `${label}: has the ${existing.type} index ${existing.name} on ${column} already (the measured reads above use it)`] };
  const touching = planned.filter((p) => (p.ranges[table.key]?.length ?? 0) > 0);
  if (touching.length === 0 || table.rows === 0) return { notes };
  const simulated = await minmaxKept(store, table, column, touching.map((p) => ({ id: p.id, ranges: p.ranges[table.key] ?? [] })));
  const gains: ReadGain[] = [];
  for (const read of reads) {
    const scans = read.scans.filter((s) => s.key === table.key);
    const kept = simulated.kept.get(read.id);
    if (scans.length === 0 || kept === undefined) continue;
    const now = scans.reduce((n, s) => n + s.granules.selected, 0);
    const expected = scans.reduce((n, s) => n + expectedGranules(s, kept, column), 0);
    gains.push({ read: read.id, what: read.what, now, expected, total: scans.reduce((n, s) => n + s.granules.total, 0) });
  }
  const ordered = timeOrdered(table, column);
  const helps = gains.filter((g) => g.now - g.expected >= Math.max(1, HELPS * g.now));
  if (helps.length === 0) {
    const why = ordered ? `its reads by ${column} prune already (${ordered})` : `it would not remove a quarter of any measured read's granules`;
    const figures = gains.map((g) => `${g.read} ${g.now} → ~${g.expected}`).join(', ');
    return { notes: [...notes, `${label}: no index advised on ${column}: ${why}${figures ? ` (with one: ${figures} granules)` : ''}`] };
  }
  if (!ordered && !table.engine.includes('Replacing')) {
    notes.push(
      `${label}: a table partitioned by day of ${column} (PARTITION BY toYYYYMMDD(${column})) would prune whole parts by time; that is a rebuild of the table (CREATE … AS, INSERT … SELECT, EXCHANGE TABLES: it rewrites ${bytes(table.bytesOnDisk)}), the index below is the cheap step`,
    );
  }
  const index = indexName(column);
  const ref = `${quoteIdentifier(table.database)}.${quoteIdentifier(table.name)}`;
  const width = timeWidth(table.time.type);
  const columnSize = table.time.estimated
    ? `about ${bytes(table.time.uncompressedBytes)} uncompressed (its parts are compact and keep no per-column sizes)`
    : `${bytes(table.time.compressedBytes)} compressed, ${bytes(table.time.uncompressedBytes)} uncompressed`;
  // Servers that keep min-max statistics of merged parts (auto_statistics_types) prune those parts whole already.
  const statistics = reads.some((r) => r.scans.some((sc) => sc.key === table.key && sc.steps.some((st) => st.type === 'Statistics')));
  const granules = simulated.granules;
  // A min and a max per granule, and a mark (compressed, measured at ~8 bytes a granule).
  const indexBytes = granules * (2 * width + 8);
  const replicated = table.engine.startsWith('Replicated');
  return {
    advice: {
      key: table.key,
      table: `${table.database}.${table.name}`,
      column,
      configKey,
      index,
      kind: 'minmax index',
      ddl: [alterTable(ref, `ADD INDEX IF NOT EXISTS ${quoteIdentifier(index)} ${quoteIdentifier(column)} TYPE minmax GRANULARITY 1`), alterTable(ref, `MATERIALIZE INDEX ${quoteIdentifier(index)}`)],
      gains,
      cost: {
        indexBytes,
        granules,
        parts: table.parts,
        materializeReadsBytes: table.time.compressedBytes,
        columnBytes: table.time.compressedBytes,
        words: [
          `disk: about ${bytes(indexBytes)} (a min and a max of ${column} per granule of 8,192 rows, and its mark: ${granules.toLocaleString('en-US')} granules), against ${columnSize} for the column itself and ${bytes(table.bytesOnDisk)} for the table`,
          `ADD INDEX changes metadata only: parts written from then on (inserts, merges) carry the index; each computes a min and a max per granule of the rows it writes anyway, so inserts and merges cost next to nothing more`,
          `MATERIALIZE INDEX is a mutation: it reads ${column} once from each of the ${table.parts.toLocaleString('en-US')} active parts (${columnSize}) and writes the index beside them (the parts' other files are hard-linked, not copied); it runs in the background (system.mutations; SETTINGS mutations_sync = 2 waits for it). Without it, older parts gain the index only as merges rewrite them`,
          ...(replicated ? ['Replicated: run the ALTERs once; the metadata change replicates, and each replica materializes its own parts'] : []),
          ...(statistics
            ? [
                `this server keeps min-max statistics of merged parts (auto_statistics_types): they skip whole merged parts already, and the mutation materializes them on the parts it rewrites; what the index adds for good is the parts not merged yet (new inserts)`,
              ]
            : []),
        ],
      },
    },
    notes,
  };
}

/**
 * A statement printed for the DBA and never sent. Put together from words so that the scan of what driftwatch sends
 * (test/deploy/grants.test.ts, which grants every statement found in src/) does not take it for one of its own.
 */
function alterTable(ref: string, action: string): string {
  return ['ALTER', 'TABLE', ref, action].join(' ');
}

/**
 * Granules a scan would select with a min-max index on `column`, from what it selects now and the granules the index
 * alone keeps (`kept`, over the whole table). When the scan's primary-key step already filters by the column, the
 * index can only narrow that: min(now, kept). Otherwise the key's other conditions (transaction ids, variant) are
 * taken as independent of time: the index keeps `kept` of the granules the key step looked at, the key the same
 * share of those as now.
 */
export function expectedGranules(scan: TableScan, kept: number, column: string): number {
  const now = scan.granules.selected;
  const key = scan.steps.find((s) => s.type === 'PrimaryKey');
  if (!key || key.keys.includes(column) || key.granules.total === 0) return Math.min(now, kept);
  return Math.min(now, Math.round((kept * now) / key.granules.total));
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
