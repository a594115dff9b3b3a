// Loading user files into the source tables, and the rules every row must meet.
export * from './ingest.js';
export { INGEST_LEDGER_TABLE, ingestLedgerDdl } from './ledger.js';
export { allowedValues, rowValidator, VARIANTS, type Row, type RowValidator } from './row.js';
