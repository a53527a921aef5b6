import {
  type FakeGemini,
  type GeminiBehaviour,
  startFakeGemini,
  UNPROCESSABLE_IMAGE_MESSAGE,
} from '@annot/testing';
import { type CheckedImage, PermanentFailure } from '@annot/worker-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnnotatorConfigurationError, createAnnotator, TransientAnnotationError } from '../src/index.ts';
import { checkedFixture, geminiSettings } from './support.ts';

let gemini: FakeGemini;
let image: CheckedImage;
beforeAll(async () => {
  gemini = await startFakeGemini();
  image = await checkedFixture('Landscape_1.jpg');
});
afterAll(() => gemini.stop());
beforeEach(() => gemini.reset());

/** An annotator whose backoff waits are recorded and skipped. */
function recordingSleeps(env: Record<string, string> = {}) {
  const sleeps: number[] = [];
  const annotator = createAnnotator(geminiSettings(gemini.baseUrl, env), {
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { annotator, sleeps };
}

describe('Gemini retries', () => {
  it('retries a 429 and returns the next answer (2 requests), waiting at least the RetryInfo delay', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 429, retryDelaySeconds: 0.25 },
      { kind: 'structured', caption: 'A lake.' },
    );

    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A lake.' });

    expect(gemini.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(250);
  });

  it.each([500, 503, 502, 504])('retries HTTP %i', async (status) => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl));
    gemini.enqueue({ kind: 'error', status }, { kind: 'structured', caption: 'A lake.' });

    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A lake.' });
    expect(gemini.requests).toHaveLength(2);
  });

  it('honours a Retry-After header', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 503, retryAfter: '2' },
      { kind: 'structured', caption: 'A lake.' },
    );

    await annotator.describe(image);

    expect(sleeps).toEqual([2000]);
  });

  it.each(['3', '5'])(
    'throws TransientAnnotationError after exactly GEMINI_MAX_ATTEMPTS=%s requests of 503',
    async (max) => {
      const annotator = createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_MAX_ATTEMPTS: max }));
      const unavailable: GeminiBehaviour = {
        kind: 'error',
        status: 503,
        message: 'The model is overloaded.',
      };
      gemini.enqueue(...Array.from({ length: 10 }, () => unavailable));

      const error = await annotator.describe(image).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TransientAnnotationError);
      expect(error).toMatchObject({ attempts: Number(max) });
      expect((error as Error).message).toMatch(/503 UNAVAILABLE: The model is overloaded\..*gave up after/);
      expect(gemini.requests).toHaveLength(Number(max));
    },
  );

  it('gives up at once, for the platform to retry later, when the server asks for a long wait', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue({ kind: 'error', status: 429, retryDelaySeconds: 120 });

    await expect(annotator.describe(image)).rejects.toBeInstanceOf(TransientAnnotationError);
    expect(gemini.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('times out a call that takes longer than GEMINI_TIMEOUT_MS, retries it, then throws', async () => {
    const annotator = createAnnotator(
      geminiSettings(gemini.baseUrl, { GEMINI_TIMEOUT_MS: '150', GEMINI_MAX_ATTEMPTS: '2' }),
    );
    gemini.enqueue({ kind: 'delay', ms: 3000 }, { kind: 'delay', ms: 3000 });

    const error = await annotator.describe(image).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toMatch(/did not answer within 150 ms; gave up after 2 attempts/);
    expect(gemini.requests).toHaveLength(2);
  });

  it('answers from the retry after a timed-out first call', async () => {
    // The first call never answers within the test (so its timeout, not a race, decides); the
    // retry answers at once, with the whole timeout to spare however busy the machine is.
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_TIMEOUT_MS: '2000' }));
    gemini.enqueue({ kind: 'delay', ms: 120_000 }, { kind: 'structured', caption: 'A lake at dusk.' });

    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A lake at dusk.' });
    expect(gemini.requests).toHaveLength(2);
  });

  it("does not retry when the caller aborts, and rethrows the caller's abort", async () => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl));
    gemini.enqueue({ kind: 'delay', ms: 3000 });
    const controller = new AbortController();

    const result = annotator.describe(image, { signal: controller.signal });
    // Abort once the request is in flight, whatever the machine's load.
    await vi.waitUntil(() => gemini.requests.length === 1, { timeout: 5000 });
    controller.abort();

    await expect(result).rejects.toMatchObject({ name: 'AbortError' });
    expect(gemini.requests).toHaveLength(1);
  });
});

describe('Gemini answers that end the attempts', () => {
  it.each<[string, GeminiBehaviour, RegExp]>([
    [
      'a blocked prompt',
      { kind: 'blocked', blockReason: 'SAFETY' },
      /^The file was not described: Gemini declined to describe it \(SAFETY\)$/,
    ],
    [
      'a blocked prompt (other reason)',
      { kind: 'blocked', blockReason: 'PROHIBITED_CONTENT' },
      /\(PROHIBITED_CONTENT\)/,
    ],
    [
      'a candidate stopped by SAFETY',
      { kind: 'finish', finishReason: 'SAFETY' },
      /^The file was not described: Gemini declined to describe it \(SAFETY\)$/,
    ],
    [
      'a candidate stopped by IMAGE_SAFETY',
      { kind: 'finish', finishReason: 'IMAGE_SAFETY' },
      /\(IMAGE_SAFETY\)/,
    ],
  ])('%s is a PermanentFailure after one request', async (_, behaviour, reason) => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl));
    gemini.enqueue(behaviour);

    const error = await annotator.describe(image).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as Error).message).toMatch(reason);
    expect(gemini.requests).toHaveLength(1);
  });

  it.each<[string, GeminiBehaviour]>([
    ['403 PERMISSION_DENIED', { kind: 'error', status: 403 }],
    ['404 NOT_FOUND (unknown model)', { kind: 'error', status: 404 }],
    [
      '400 INVALID_ARGUMENT caused by the request or its settings',
      {
        kind: 'error',
        status: 400,
        message:
          'Invalid JSON payload received. Unknown name "thinkingLevel" at \'generation_config\': Cannot find field.',
        fieldViolation: { field: 'generation_config', description: 'Cannot find field.' },
      },
    ],
    ['400 INVALID_ARGUMENT without a message', { kind: 'error', status: 400 }],
    ['413 (a request over a limit)', { kind: 'error', status: 413, message: 'Request Entity Too Large' }],
    [
      '429 with a quota limit of 0 (the model is not in the account tier)',
      {
        kind: 'error',
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        quotaLimit: 0,
        retryDelaySeconds: 2,
      },
    ],
    [
      '429 whose message alone says limit: 0',
      {
        kind: 'error',
        status: 429,
        message:
          'You exceeded your current quota.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 0, model: gemini-3.5-pro',
      },
    ],
    [
      '400 API_KEY_INVALID',
      { kind: 'error', status: 400, reason: 'API_KEY_INVALID', message: 'API key not valid.' },
    ],
  ])(
    '%s is an AnnotatorConfigurationError, not retried and not blamed on the image',
    async (_, behaviour) => {
      const annotator = createAnnotator(geminiSettings(gemini.baseUrl));
      gemini.enqueue(behaviour);

      await expect(annotator.describe(image)).rejects.toBeInstanceOf(AnnotatorConfigurationError);
      expect(gemini.requests).toHaveLength(1);
    },
  );

  it('a 429 with a quota limit above 0 is throttling: retried after the requested wait', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 429, quotaLimit: 10, retryDelaySeconds: 1 },
      { kind: 'structured', caption: 'A lake.' },
    );

    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A lake.' });
    expect(gemini.requests).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
  });

  it('"Unable to process input image. Please retry" is retried, and the next answer is used', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 400, message: UNPROCESSABLE_IMAGE_MESSAGE },
      { kind: 'structured', caption: 'A lake.' },
    );

    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A lake.' });
    expect(gemini.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('"Unable to process input image" on every attempt: failed, with its own reason', async () => {
    const { annotator } = recordingSleeps();
    const unprocessable: GeminiBehaviour = {
      kind: 'error',
      status: 400,
      message: UNPROCESSABLE_IMAGE_MESSAGE,
    };
    gemini.enqueue(unprocessable, unprocessable, unprocessable);

    const error = await annotator.describe(image).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as PermanentFailure).reason).toBe(
      'The file was not described: Gemini could not process the image',
    );
    expect((error as PermanentFailure).detail).toMatch(
      /^400 INVALID_ARGUMENT: Unable to process input image/,
    );
    expect(gemini.requests).toHaveLength(3);
  });

  it('reports a model the API does not have (the seed retired gemini-1.5-flash-latest) as a configuration error', async () => {
    const strict = await startFakeGemini({ models: ['gemini-3.5-flash'] });
    try {
      const annotator = createAnnotator(
        geminiSettings(strict.baseUrl, { GEMINI_MODEL: 'gemini-1.5-flash-latest' }),
      );

      const error = await annotator.describe(image).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AnnotatorConfigurationError);
      expect((error as Error).message).toMatch(
        /^Gemini refused the request \(404 NOT_FOUND\): models\/gemini-1\.5-flash-latest is not found for API version v1beta/,
      );
      expect(strict.requests).toHaveLength(1);
    } finally {
      await strict.stop();
    }
  });

  it('reports a wrong API key as a configuration error (the server checks the x-goog-api-key header)', async () => {
    const strict = await startFakeGemini({ apiKey: 'the-right-key' });
    try {
      const annotator = createAnnotator(geminiSettings(strict.baseUrl, { GEMINI_API_KEY: 'a-wrong-key' }));

      await expect(annotator.describe(image)).rejects.toThrow(/API key not valid/);
      expect(strict.requests.map((r) => r.apiKey)).toEqual(['a-wrong-key']);
    } finally {
      await strict.stop();
    }
  });
});

describe('the deadline (in Lambda, the remaining time less DEADLINE_RESERVE_MS)', () => {
  it('does not take a server-requested wait that would overrun it: transient, after one request', async () => {
    // GEMINI_TIMEOUT_MS is 2000 in the test settings.
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 429, retryDelaySeconds: 15 },
      { kind: 'structured', caption: 'A lake.' },
    );

    const error = await annotator
      .describe(image, { deadline: { remainingMs: () => 16_000 } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toMatch(
      /^Gemini answered 429 RESOURCE_EXHAUSTED: .*; stopped after 1 attempt: a wait of 15000 ms and another attempt of up to 2000 ms would not end before the deadline \(\d+ ms left\)$/,
    );
    expect(gemini.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('takes the same wait when the time allows it', async () => {
    const { annotator, sleeps } = recordingSleeps();
    gemini.enqueue(
      { kind: 'error', status: 429, retryDelaySeconds: 15 },
      { kind: 'structured', caption: 'A lake.' },
    );

    await expect(
      annotator.describe(image, { deadline: { remainingMs: () => 60_000 } }),
    ).resolves.toMatchObject({ annotation: 'A lake.' });
    expect(sleeps).toEqual([15_000]);
    expect(gemini.requests).toHaveLength(2);
  });

  it('makes no request when a whole GEMINI_TIMEOUT_MS no longer fits', async () => {
    const { annotator } = recordingSleeps();

    const error = await annotator
      .describe(image, { deadline: { remainingMs: () => 1_500 } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toMatch(/^No time for a Gemini call: \d+ ms left/);
    expect(gemini.requests).toHaveLength(0);
  });
});
