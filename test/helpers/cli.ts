// Runs the built CLI (bin/driftwatch.js) in a child process and collects its exit code and output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/store/index.js';

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

