import { describe, expect, it } from 'vitest';
import { TransientAnnotationError } from '../src/index.ts';
import { backoffDelay, type FailureVerdict, type RetryPolicy, withRetries } from '../src/retry.ts';

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 100, capMs: 1000, maxHintMs: 5000 };

describe('backoffDelay (full jitter)', () => {
  it.each([
    // failed attempt, random, expected: floor(random * min(cap, base * 2^(attempt-1)))
    [1, 0.999, 99],
    [2, 0.999, 199],
    [3, 0.5, 200],
    [4, 0.999, 799],
    [5, 0.999, 999], // capped at 1000
    [9, 0.5, 500],
    [1, 0, 0],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, policy, () => random)).toBe(expected);
  });

  it('waits at least a server hint that is within the limit', () => {
    expect(backoffDelay(1, policy, () => 0.5, 3000)).toBe(3000);
    expect(backoffDelay(4, policy, () => 0.999, 10)).toBe(799);
  });

  it('refuses to wait for a hint longer than maxHintMs', () => {
    expect(backoffDelay(1, policy, () => 0.5, 5001)).toBeUndefined();
  });
});

describe('withRetries', () => {
  const retryable = (): FailureVerdict => ({ retry: true, reason: 'overloaded' });

  it('returns the first success and sleeps between failures', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      { policy, classify: retryable, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it("throws the last verdict's whenExhausted, not a TransientAnnotationError, when the attempts run out", async () => {
    const final = new Error('unusable answer');
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls++;
        throw new Error(`bad answer ${calls}`);
      },
      {
        policy,
        classify: () => ({ retry: true, reason: 'bad answer', whenExhausted: final }),
        sleep: async () => {},
      },
    ).catch((e: unknown) => e);

    expect(error).toBe(final);
    expect(calls).toBe(policy.maxAttempts);
  });

  it('a whenExhausted of an earlier failure does not outlive a later transient one', async () => {
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      {
        policy,
        classify: () =>
          calls < policy.maxAttempts
            ? { retry: true, reason: 'bad answer', whenExhausted: new Error('unusable') }
            : { retry: true, reason: 'overloaded' },
        sleep: async () => {},
      },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAnnotationError);
  });

  it('throws TransientAnnotationError with the last failure as cause after maxAttempts', async () => {
    const sleeps: number[] = [];
    const last = new Error('fail 4');
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls++;
        throw calls === 4 ? last : new Error(`fail ${calls}`);
      },
      { policy, classify: retryable, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect(error).toMatchObject({
      attempts: 4,
      cause: last,
      message: 'overloaded; gave up after 4 attempts',
    });
    expect(calls).toBe(4);
    expect(sleeps).toHaveLength(3);
  });

  it('rethrows a final failure at once', async () => {
    const final = new Error('bad request');
    let calls = 0;
    const promise = withRetries(
      async () => {
        calls++;
        throw final;
      },
      { policy, classify: (error) => ({ retry: false, error }), sleep: async () => {} },
    );
    await expect(promise).rejects.toBe(final);
    expect(calls).toBe(1);
  });

  it('reports each retry', async () => {
    const retries: unknown[] = [];
    await withRetries(
      async (attempt) => {
        if (attempt === 1) throw new Error('once');
        return 1;
      },
      {
        policy,
        classify: retryable,
        sleep: async () => {},
        random: () => 0.5,
        onRetry: (info) => retries.push(info),
      },
    );
    expect(retries).toEqual([{ attempt: 1, delayMs: 50, reason: 'overloaded' }]);
  });
});
