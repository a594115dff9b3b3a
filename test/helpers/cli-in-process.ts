// The CLI run in the test's own process (its engine is the test's: one per process), its output captured.
import { main } from '../../src/cli.js';

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
