// Test preload (node --import): logs a CLI child's database writes and SIGKILLs it right after its N-th completed one.
//
// DRIFTWATCH_KILL_AFTER_WRITE=N  the process kills itself (SIGKILL, no cleanup) as soon as its N-th write returns.
// DRIFTWATCH_WRITE_LOG=file      appends one line per completed write: `<n>\t<command|insert|exec>\t<ms>\t<what>`, where
//                                <what> is the statement's first 100 characters (comments dropped, blanks folded),
//                                or for an insert `INSERT <table> rows=<n> <first row as JSON, 100 characters>`.
//                                A kill appends `KILL <n>` before it happens.
// DRIFTWATCH_KILL_ON=text        only writes whose statement (or inserted rows, as JSON) contain `text` count, for
//                                the kill and the log alike (e.g. the start of a batch INSERT, or '"state":"pending"').
// Set through NODE_OPTIONS="--import <this file>" in the child's env. Writes are the client's `command`, `insert`
// and `exec`, patched on @clickhouse/client's ClickHouseClient prototype, which both the HTTP client and the
// embedded chdb connection go through (createClient always builds that class; the connection is only its transport).
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const killAfter = Number(process.env.DRIFTWATCH_KILL_AFTER_WRITE ?? 0);
const logFile = process.env.DRIFTWATCH_WRITE_LOG;
const only = process.env.DRIFTWATCH_KILL_ON;

if (killAfter > 0 || logFile) {
  // Resolved from the package root (this file lives in test/helpers), the copy driftwatch's dist/ imports. CommonJS
  // modules are cached once per process, whether required or imported, so the class patched here is driftwatch's.
  const require = createRequire(import.meta.url);
  const { ClickHouseClient } = require('@clickhouse/client');
  let proto = ClickHouseClient.prototype;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'command')) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new Error('kill-after-write: no `command` method on @clickhouse/client ClickHouseClient');

  let writes = 0;
  const oneLine = (text) =>
    String(text)
      .replace(/--[^\n]*/g, ' ')
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 100);
  const describe = (method, params) => {
    if (method !== 'insert') return oneLine(params?.query ?? '');
    const values = Array.isArray(params?.values) ? params.values : undefined;
    const first = values && values.length > 0 ? JSON.stringify(values[0]).slice(0, 100) : '';
    return `INSERT ${params?.table} rows=${values ? values.length : '?'} ${first}`.trim();
  };
  const completed = (method, params, ms) => {
    writes += 1;
    if (logFile) appendFileSync(logFile, `${writes}\t${method}\t${ms.toFixed(0)}\t${describe(method, params)}\n`);
    if (writes === killAfter) {
      if (logFile) appendFileSync(logFile, `KILL ${writes}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
  for (const method of ['command', 'insert', 'exec']) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = async function patchedWrite(params) {
      const started = performance.now();
      const result = await original.call(this, params);
      // An insert of no rows is not sent (the client answers `executed: false`): not a write.
      const sent = !(method === 'insert' && result && result.executed === false);
      const matches = !only || String(params?.query ?? '').includes(only) || JSON.stringify(params?.values ?? '').includes(only);
      if (sent && matches) completed(method, params, performance.now() - started);
      return result;
    };
  }
}
