// The advice as a person reads it: the tables, what each measured read selects, the DDL with its gain and cost, and the notes.
import { formatDuration } from '../../config/index.js';
import { bytes, type AdviceDocument } from './advice.js';
import type { TableScan } from './measure.js';

const n = (x: number) => x.toLocaleString('en-US');
const share = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '—');

function scanText(scans: TableScan[], key: 'events' | 'outcomes'): string | undefined {
  const mine = scans.filter((s) => s.key === key);
  if (mine.length === 0) return undefined;
  const selected = mine.reduce((a, s) => a + s.granules.selected, 0);
  const total = mine.reduce((a, s) => a + s.granules.total, 0);
  const parts = mine.reduce((a, s) => a + s.parts.selected, 0);
  const partsTotal = mine.reduce((a, s) => a + s.parts.total, 0);
  return `${key} ${n(selected)}/${n(total)} granules (${share(selected, total)}), ${n(parts)}/${n(partsTotal)} parts${mine.length > 1 ? ` over ${mine.length} scans` : ''}`;
}

export function formatAdvice(doc: AdviceDocument): string {
  const lines: string[] = [];
  lines.push(`driftwatch advise as of ${doc.at}: store ${doc.store.kind} (${doc.store.location}); sent reads only (SELECT, EXPLAIN), nothing was changed`);
  lines.push('');
  lines.push('source tables:');
  for (const t of doc.tables) {
    lines.push(`  ${t.key}: ${t.database}.${t.name}: ${t.engine}, ${n(t.rows)} rows, ${bytes(t.bytesOnDisk)} on disk in ${n(t.parts)} parts (${n(t.granules)} granules)`);
    lines.push(`    partition key ${t.partitionKey || 'none'}; sorting key ${t.sortingKey || 'none'}${t.primaryKey && t.primaryKey !== t.sortingKey ? `; primary key ${t.primaryKey}` : ''}`);
    const indexes = t.skipIndexes.map((i) => `${i.name} (${i.type} on ${i.expr}, granularity ${i.granularity})`);
    lines.push(`    skip indexes: ${indexes.length > 0 ? indexes.join(', ') : 'none'}; projections: ${t.projections.length > 0 ? t.projections.join(', ') : 'none'}`);
    const column = t.time.column ? `${t.time.column} (${t.time.type ?? '?'}, ${bytes(t.time.compressedBytes)} compressed)` : `an expression: ${t.time.mapping}`;
    lines.push(`    ${t.time.canonical} = ${column}`);
  }
  lines.push('');
  lines.push(`what driftwatch's heaviest reads select (granules read / granules of the table; maturity ${formatDuration(doc.maturity.ms)}, ${doc.maturity.source}):`);
  for (const phase of ['cold', 'steady'] as const) {
    lines.push(`  ${phase === 'cold' ? 'cold fold' : 'steady cycle'}:`);
    for (const read of doc.reads.filter((r) => r.phase === phase)) {
      const scans = (['events', 'outcomes'] as const).flatMap((key) => scanText(read.scans, key) ?? []);
      lines.push(`    ${read.what} [${read.query}]: ${scans.length > 0 ? scans.join('; ') : 'no MergeTree scan'}`);
    }
  }
  lines.push('');
  if (doc.advice.length === 0) lines.push('advice: none: the measured reads prune as well as an index would make them');
  else lines.push('advice (nothing is applied: run the statements yourself if you choose to):');
  doc.advice.forEach((a, i) => {
    lines.push(`  ${i + 1}. ${a.key}: a min-max index on ${a.column} (${a.configKey})`);
    for (const statement of a.ddl) lines.push(`       ${statement};`);
    lines.push('     speeds up (granules now → with the index, estimated on today\'s parts):');
    for (const g of a.gains) {
      const cut = g.now > g.expected ? ` (−${Math.round((100 * (g.now - g.expected)) / g.now)} %)` : ' (no change)';
      lines.push(`       ${g.what}: ${n(g.now)} → ~${n(g.expected)} of ${n(g.total)}${cut}`);
    }
    lines.push('     costs:');
    for (const word of a.cost.words) lines.push(`       ${word}`);
  });
  if (doc.notes.length > 0) {
    lines.push('');
    lines.push('notes:');
    for (const note of doc.notes) lines.push(`  - ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
