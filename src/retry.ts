// Exponential backoff with a cap, and the one retry loop built on it: the store, history writes and the durable queue share them.

export interface Backoff {
  /** Delay before the first retry (ms); each later one doubles. */
  baseMs: number;
  /** No delay grows past this (ms). */
  maxMs?: number;
}

/** Delay after the `failures`-th failure in a row (1 = the first): base, 2 × base, 4 × base, …, at most maxMs. */
export function backoffDelay(failures: number, { baseMs, maxMs = Number.POSITIVE_INFINITY }: Backoff): number {
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

export interface RetryPolicy extends Backoff {
  /** Retries after the first attempt; 0 runs once. */
  retries: number;
  /** Whether this failure may be retried: only what a second attempt could fix, and only what is safe to repeat. */
  retryIf: (error: unknown) => boolean;
}

/** Runs `attempt` until it succeeds, a failure is not retryable, or the retries run out; throws the last failure. */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (failures > policy.retries || !policy.retryIf(error)) throw error;
      await new Promise((done) => setTimeout(done, backoffDelay(failures, policy)));
    }
  }
}
