// Runs the built CLI (bin/driftwatch.js) in a child process and collects its exit code and output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/store/index.js';
import { main } from '../../src/cli.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return spawnDriftwatch(args, { ...process.env, DRIFTWATCH_LOG_LEVEL: 'warn', ...env }, timeoutMs);
}

/** `node bin/driftwatch.js …args` with exactly `env`; resolves on exit (with the signal, if killed) and how long it ran. */
export function spawnDriftwatch(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult & { signal: NodeJS.Signals | null; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`driftwatch ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs the CLI in this process (its engine is the test's: one per process), capturing what it writes; the process's own streams stay untouched. */
export async function cliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (key: 'stdout' | 'stderr') => ((chunk: string | Uint8Array) => ((out[key] += chunk.toString()), true)) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const code = await main(['node', 'driftwatch', ...args]);
    return { code, ...out };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}
