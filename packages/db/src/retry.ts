import { setTimeout as sleep } from 'node:timers/promises';

/** InnoDB rolls back the statement (deadlock: the whole transaction) and asks to try again. */
const ER_LOCK_DEADLOCK = 1213;
const ER_LOCK_WAIT_TIMEOUT = 1205;

/** True for InnoDB's "try again" errors: deadlock (1213) and lock wait timeout (1205). */
export function isTransientLockError(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT;
}

export interface RetryOptions {
  /** Total attempts, including the first. */
  readonly attempts?: number;
  /** The backoff cap doubles from this on each retry; the wait is a random fraction of it. */
  readonly baseDelayMs?: number;
  readonly onRetry?: (details: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Runs `fn`, retrying transient InnoDB lock errors with "full jitter" exponential backoff, so
 * callers never see them. Safe because every repository write is one autocommitted statement,
 * which InnoDB has rolled back when it reports either error.
 */
export async function withLockRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isTransientLockError(error)) throw error;
      const delayMs = Math.round(Math.random() * base * 2 ** attempt);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
