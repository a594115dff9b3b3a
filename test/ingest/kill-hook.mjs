// Test preload (node --import): SIGKILLs the process right after its N-th completed statement containing a given text.
//
// DRIFTWATCH_TEST_KILL_ON=text  the statements counted (e.g. the start of ingest's batch INSERT, or '"state":"pending"')
// DRIFTWATCH_TEST_KILL_AT=N     the process kills itself (SIGKILL: no cleanup, no exit handlers) once the N-th returns
// Statements are counted at @clickhouse/client's ClickHouseClient.command, which Store.command calls for the embedded
// engine and a server alike; a statement that returned has been executed, so the kill falls just after it.
import { createRequire } from 'node:module';
import process from 'node:process';

const text = process.env.DRIFTWATCH_TEST_KILL_ON;
const at = Number(process.env.DRIFTWATCH_TEST_KILL_AT ?? 0);

if (text && at > 0) {
  // The copy driftwatch's dist/ imports: CommonJS modules are cached once per process, so this patches driftwatch's class.
  const require = createRequire(import.meta.url);
  const { ClickHouseClient } = require('@clickhouse/client');
  let proto = ClickHouseClient.prototype;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'command')) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new Error('kill-hook: no `command` method on ClickHouseClient');
  const original = proto.command;
  let seen = 0;
  proto.command = async function command(params) {
    const result = await original.call(this, params);
    if (String(params?.query ?? '').includes(text) && ++seen === at) process.kill(process.pid, 'SIGKILL');
    return result;
  };
}
