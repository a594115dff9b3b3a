// The data store: one ClickHouse client, the SQL it runs, and the tables it keeps.
export * from './client.js';
export * from './sql.js';
export * from './schema.js';
export * from './sources.js';
