import type { S3ClientConfig } from '@aws-sdk/client-s3';

type RetryStrategy = Extract<
  NonNullable<S3ClientConfig['retryStrategy']>,
  { acquireInitialRetryToken: unknown }
>;
type RetryToken = Awaited<ReturnType<RetryStrategy['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<RetryStrategy['refreshRetryTokenForRetry']>[1];

/** The SDK's standard retry mode: its attempts and backoff bases (ms), full jitter. */
const MAX_ATTEMPTS = 3;
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;

interface Token extends RetryToken {
  /** When the operation's first attempt started (ms since the epoch). */
  readonly startedAt: number;
}

function token(retryCount: number, delayMs: number, startedAt: number): Token {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delayMs, startedAt };
}

/**
 * The SDK's standard retries (transient errors and throttling, three attempts, jittered exponential
 * backoff) with a deadline: a retry is started only while the operation is younger than
 * `budgetMs`. An attempt that ran out its time (S3_REQUEST_TIMEOUT_MS, the same budget) is thus
 * never retried, and a frozen S3 costs a request one timeout rather than three; quick failures (a
 * reset connection, 503 SlowDown) are still retried. One operation ends within about twice the
 * budget at worst (a retry started just before the deadline, itself bounded by the timeout).
 */
export class DeadlineRetryStrategy implements RetryStrategy {
  readonly #budgetMs: number;

  constructor(budgetMs: number) {
    this.#budgetMs = budgetMs;
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return token(0, 0, Date.now());
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const { startedAt } = previous as Token;
    const retries = previous.getRetryCount() + 1;
    if (info.errorType !== 'TRANSIENT' && info.errorType !== 'THROTTLING') throw info.error;
    if (retries >= MAX_ATTEMPTS) throw info.error;
    const base = info.errorType === 'THROTTLING' ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
    const delayMs = Math.floor(Math.random() * base * 2 ** retries);
    if (Date.now() + delayMs - startedAt >= this.#budgetMs) throw info.error;
    return token(retries, delayMs, startedAt);
  }

  recordSuccess(): void {}
}
