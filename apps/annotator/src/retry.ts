import type { Deadline } from '@annot/worker-runtime';
import { TransientAnnotationError } from './errors.ts';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  /** Ceiling of the first backoff; doubled after each failed attempt. */
  readonly baseMs: number;
  /** No backoff is longer than this. */
  readonly capMs: number;
  /**
   * The longest server-requested delay (Retry-After, RetryInfo) worth waiting for in-process. A
   * longer one ends the attempts at once: the platform's own retries wait better than a Lambda
   * that is billed while it sleeps.
   */
  readonly maxHintMs: number;
  /**
   * The longest one attempt can take (the per-call timeout). With a deadline, an attempt starts only
   * when this much time is left after its wait.
   */
  readonly attemptMs?: number;
}

/** What the caller's classifier says about one failure. */
export type FailureVerdict =
  | {
      readonly retry: true;
      readonly reason: string;
      readonly hintMs?: number;
      /**
       * Thrown instead of a TransientAnnotationError when this was the last attempt: a failure
       * worth retrying now that is final once the attempts run out (an unusable answer).
       */
      readonly whenExhausted?: unknown;
    }
  | { readonly retry: false; readonly error: unknown };

/**
 * The wait before attempt `failedAttempt + 1`: "full jitter" exponential backoff, a uniform random
 * delay in [0, min(cap, base * 2^(failedAttempt-1))), so that many workers throttled together do
 * not retry in lockstep. A server hint is honoured as a lower bound. Returns undefined when the
 * hint is longer than the policy allows waiting.
 */
export function backoffDelay(
  failedAttempt: number,
  policy: RetryPolicy,
  random: () => number,
  hintMs?: number,
): number | undefined {
  if (hintMs !== undefined && hintMs > policy.maxHintMs) return undefined;
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (failedAttempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, hintMs ?? 0);
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly classify: (error: unknown) => FailureVerdict;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  /**
   * When the attempts must stop (the Lambda's remaining time, less the reserve for recording the
   * result). No attempt starts, and no wait is taken, unless a whole `policy.attemptMs` still fits
   * before it; otherwise a TransientAnnotationError hands the event back to the platform.
   */
  readonly deadline?: Deadline;
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * Runs `operation` until it succeeds, the classifier calls a failure final (its error is thrown),
 * the attempts run out (the last verdict's `whenExhausted`, else a TransientAnnotationError with
 * the last failure as cause, is thrown), or the deadline comes first: an attempt that, after its
 * wait, would not end before it is not made, and a TransientAnnotationError is thrown instead (the
 * platform redelivers the event later, with a fresh deadline).
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, classify, sleep = abortableSleep, random = Math.random, deadline } = options;
  const attemptMs = policy.attemptMs ?? 0;
  const first = deadline?.remainingMs();
  if (first !== undefined && first < attemptMs) {
    throw new TransientAnnotationError(
      `No time for a Gemini call: ${Math.max(0, Math.floor(first))} ms left before the deadline, an attempt may take ${attemptMs} ms`,
      0,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.retry) throw verdict.error;
      const delayMs =
        attempt < policy.maxAttempts ? backoffDelay(attempt, policy, random, verdict.hintMs) : undefined;
      if (delayMs === undefined) {
        if (attempt >= policy.maxAttempts && verdict.whenExhausted !== undefined) throw verdict.whenExhausted;
        const why =
          attempt < policy.maxAttempts
            ? `the server asked to wait ${verdict.hintMs} ms, longer than ${policy.maxHintMs} ms`
            : `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        throw new TransientAnnotationError(`${verdict.reason}; gave up after ${why}`, attempt, {
          cause: error,
        });
      }
      const remainingMs = deadline?.remainingMs();
      if (remainingMs !== undefined && remainingMs - delayMs < attemptMs) {
        const waited = delayMs > 0 ? `a wait of ${delayMs} ms and ` : '';
        throw new TransientAnnotationError(
          `${verdict.reason}; stopped after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${waited}another attempt of up to ${attemptMs} ms would not end before the deadline (${Math.max(0, Math.floor(remainingMs))} ms left)`,
          attempt,
          { cause: error },
        );
      }
      options.onRetry?.({ attempt, delayMs, reason: verdict.reason });
      await sleep(delayMs, options.signal);
    }
  }
}

/** setTimeout as a promise that rejects when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
