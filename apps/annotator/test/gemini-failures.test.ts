import { type FakeGemini, type GeminiBehaviour, startFakeGemini } from '@annot/testing';
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
    [
      '400 INVALID_ARGUMENT',
      { kind: 'error', status: 400, message: 'Unable to process input image.' },
      /400 INVALID_ARGUMENT/,
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
