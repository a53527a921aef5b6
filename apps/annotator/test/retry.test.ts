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

describe('withRetries against a deadline', () => {
  /** A clock that the injected sleep advances: the deadline is `budgetMs` after the start. */
  function clock(budgetMs: number) {
    let now = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      deadline: { remainingMs: () => budgetMs - now },
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      spend: (ms: number) => {
        now += ms;
      },
    };
  }
  const timed: RetryPolicy = { ...policy, maxHintMs: 20_000, attemptMs: 1000 };

  it('stops before a server-requested wait that would leave no time for the attempt after it', async () => {
    const time = clock(10_000);
    let calls = 0;

    const error = await withRetries(
      async () => {
        calls++;
        time.spend(500);
        throw new Error('429');
      },
      {
        policy: timed,
        classify: () => ({ retry: true, reason: 'throttled', hintMs: 9_000 }),
        sleep: time.sleep,
        random: () => 0,
        deadline: time.deadline,
      },
    ).catch((e: unknown) => e);

    // 9.5 s left after the first attempt: a 9 s wait leaves 0.5 s, less than one attempt (1 s).
    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toBe(
      'throttled; stopped after 1 attempt: a wait of 9000 ms and another attempt of up to 1000 ms would not end before the deadline (9500 ms left)',
    );
    expect(error).toMatchObject({ attempts: 1 });
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('makes the attempts that fit, then hands the rest back as transient, not as whenExhausted', async () => {
    const time = clock(5_000);
    let calls = 0;

    const error = await withRetries(
      async () => {
        calls++;
        time.spend(1000);
        throw new Error('unusable');
      },
      {
        policy: { ...timed, maxAttempts: 10 },
        classify: () => ({ retry: true, reason: 'unusable', hintMs: 500, whenExhausted: new Error('final') }),
        sleep: time.sleep,
        random: () => 0,
        deadline: time.deadline,
      },
    ).catch((e: unknown) => e);

    // 1 s per attempt + 0.5 s per wait: attempts end at 1, 2.5, 4 s; then 0.5 + 1 > 1 s left.
    expect(calls).toBe(3);
    expect(time.sleeps).toEqual([500, 500]);
    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toMatch(/stopped after 3 attempts: .*\(1000 ms left\)$/);
  });

  it('makes no attempt when a whole one does not fit', async () => {
    let calls = 0;

    const error = await withRetries(
      async () => {
        calls++;
        return 'never';
      },
      {
        policy: timed,
        classify: () => ({ retry: true, reason: '503' }),
        deadline: { remainingMs: () => 999 },
      },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toBe(
      'No time for a Gemini call: 999 ms left before the deadline, an attempt may take 1000 ms',
    );
    expect(calls).toBe(0);
  });

  it('waits as usual while the time lasts', async () => {
    const time = clock(60_000);
    const result = await withRetries(
      async (attempt) => {
        time.spend(1000);
        if (attempt < 3) throw new Error('503');
        return 'ok';
      },
      {
        policy: timed,
        classify: () => ({ retry: true, reason: '503', hintMs: 15_000 }),
        sleep: time.sleep,
        random: () => 0,
        deadline: time.deadline,
      },
    );

    expect(result).toBe('ok');
    expect(time.sleeps).toEqual([15_000, 15_000]);
  });
});
