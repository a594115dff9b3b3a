// Configuration: schema, loading and the helpers that keep config identifiers safe.
export * from './schema.js';
export * from './load.js';
export * from './duration.js';
export * from './identifiers.js';
