// Assertions on how a call fails: a config error's message, a statement that stalled within its bound.
import { expect } from 'vitest';
import { ConfigError, ExitCode, StoreStalledError } from '../../src/errors.js';

/** The message of the ConfigError `fn` throws (exit 2); fails the test if it throws nothing or something else. */
export function configErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** Runs `run`, which must fail as a StoreStalledError (exit 5, one line); returns it and how long it took. */
export async function stalledFailure(run: () => Promise<unknown>): Promise<{ error: StoreStalledError; ms: number }> {
  const started = Date.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - started;
  expect(error, 'the statement should have failed').toBeInstanceOf(StoreStalledError);
  const stalled = error as StoreStalledError;
  expect(stalled.exitCode).toBe(ExitCode.storeStalled);
  expect(stalled.message).not.toContain('\n');
  return { error: stalled, ms };
}
