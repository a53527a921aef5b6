import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGemini, INLINE_REQUEST_LIMIT, startFakeGemini } from '../src/gemini.ts';

let gemini: FakeGemini;
beforeAll(async () => {
  gemini = await startFakeGemini();
});
afterAll(() => gemini.stop());
beforeEach(() => gemini.reset());

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');
const SCHEMA = { type: 'OBJECT', properties: { caption: { type: 'STRING' } } };

interface Body {
  contents?: unknown;
  generationConfig?: Record<string, unknown>;
  [field: string]: unknown;
}

interface Answer {
  candidates: { content?: { parts: { text: string }[] }; finishReason: string }[];
  usageMetadata: { thoughtsTokenCount: number; candidatesTokenCount?: number; totalTokenCount: number };
  error: { code: number; status: string; message: string; details?: Record<string, unknown>[] };
}

/** A request the real API accepts: one image and a prompt, asking for JSON with a schema. */
function validBody(): Body {
  return {
    contents: [
      {
        role: 'user',
        parts: [{ inlineData: { mimeType: 'image/jpeg', data: JPEG } }, { text: 'Describe.' }],
      },
    ],
    generationConfig: { maxOutputTokens: 2048, responseMimeType: 'application/json', responseSchema: SCHEMA },
  };
}

async function post(body: unknown, { model = 'gemini-test', key = 'k' } = {}) {
  const response = await fetch(`${gemini.baseUrl}/v1beta/models/${model}:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

describe('the fake Gemini server', () => {
  it('answers a JSON request with a structured answer, counting thinking tokens', async () => {
    const { status, body } = await post(validBody());

    expect(status).toBe(200);
    expect(JSON.parse(body.candidates[0]!.content!.parts[0]!.text)).toEqual({
      caption: 'A test photograph.',
      tags: [],
      textInImage: null,
    });
    expect(body.candidates[0]!.finishReason).toBe('STOP');
    expect(body.usageMetadata.thoughtsTokenCount).toBeGreaterThan(0);
  });

  it('cuts a MAX_TOKENS structured answer in half', async () => {
    gemini.enqueue({ kind: 'structured', caption: 'A lake with a wooden pier.', finishReason: 'MAX_TOKENS' });

    const { body } = await post(validBody());

    expect(body.candidates[0]!.finishReason).toBe('MAX_TOKENS');
    expect(() => JSON.parse(body.candidates[0]!.content!.parts[0]!.text)).toThrow();
  });

  it('cuts a CONTINUATION structured answer in half too', async () => {
    gemini.enqueue({
      kind: 'structured',
      caption: 'A lake with a wooden pier.',
      finishReason: 'CONTINUATION',
    });

    const { body } = await post(validBody());

    expect(body.candidates[0]!.finishReason).toBe('CONTINUATION');
    expect(() => JSON.parse(body.candidates[0]!.content!.parts[0]!.text)).toThrow();
  });

  it.each(['SAFETY', 'OTHER', 'MALFORMED_RESPONSE', 'PUP_LIMITED_DISABLED'])(
    'gives a %s finish with text (text) and without (finish)',
    async (finishReason) => {
      gemini.enqueue({ kind: 'text', text: 'A lake.', finishReason }, { kind: 'finish', finishReason });

      const withText = (await post(validBody())).body.candidates[0]!;
      const without = (await post(validBody())).body.candidates[0]!;

      expect(withText).toMatchObject({ finishReason, content: { parts: [{ text: 'A lake.' }] } });
      expect(without.finishReason).toBe(finishReason);
      expect(without.content).toBeUndefined();
    },
  );

  it('reports thinking tokens apart from the answer, as the real API does', async () => {
    gemini.enqueue(
      { kind: 'structured', caption: 'A lake.', thoughtsTokenCount: 700 },
      { kind: 'finish', finishReason: 'MAX_TOKENS' },
    );

    const answered = (await post(validBody())).body.usageMetadata;
    // Cut off with nothing to show: the request's whole maxOutputTokens (2048) went on thinking.
    const cutOff = (await post(validBody())).body.usageMetadata;

    expect(answered.thoughtsTokenCount).toBe(700);
    expect(answered.totalTokenCount).toBe(300 + answered.candidatesTokenCount! + 700);
    expect(cutOff).toMatchObject({ thoughtsTokenCount: 2048, totalTokenCount: 300 + 2048 });
    expect(cutOff.candidatesTokenCount).toBeUndefined();
  });

  it('describes a quota error as Gemini does: QuotaFailure with the limit, in the message too', async () => {
    gemini.enqueue({
      kind: 'error',
      status: 429,
      message: 'You exceeded your current quota.',
      quotaLimit: 0,
    });

    const { status, body } = await post(validBody());

    expect(status).toBe(429);
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(body.error.message).toMatch(/limit: 0, model: gemini-test$/);
    expect(body.error.details).toEqual([
      expect.objectContaining({
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [expect.objectContaining({ quotaValue: '0' })],
      }),
    ]);
  });

  it('refuses a queued structured answer to a request that did not ask for JSON with a schema', async () => {
    gemini.enqueue({ kind: 'structured', caption: 'A lake.' });
    const body = validBody();
    body.generationConfig = { maxOutputTokens: 100 };

    const { status, body: answer } = await post(body);

    expect(status).toBe(400);
    expect(answer.error.message).toMatch(/did not ask for JSON/);
  });

  const mutations: [string, (body: Body) => unknown][] = [
    ['an empty object', () => ({})],
    ['empty contents', (b) => ({ ...b, contents: [] })],
    ['an unknown top-level field', (b) => ({ ...b, generation_settings: {} })],
    [
      'an unknown generationConfig field',
      (b) => ({ ...b, generationConfig: { ...b.generationConfig, maxTokens: 5 } }),
    ],
    [
      'an inline part without mimeType',
      (b) => ({ ...b, contents: [{ parts: [{ inlineData: { data: JPEG } }] }] }),
    ],
    [
      'an unsupported image type',
      (b) => ({ ...b, contents: [{ parts: [{ inlineData: { mimeType: 'image/gif', data: JPEG } }] }] }),
    ],
    [
      'bad base64',
      (b) => ({
        ...b,
        contents: [{ parts: [{ inlineData: { mimeType: 'image/jpeg', data: 'not base64!' } }] }],
      }),
    ],
    [
      'a schema without JSON',
      (b) => ({ ...b, generationConfig: { responseSchema: SCHEMA, responseMimeType: 'text/plain' } }),
    ],
  ];
  it.each(mutations)('answers 400 INVALID_ARGUMENT to %s, as the real API does', async (_, mutate) => {
    const { status, body } = await post(mutate(validBody()));

    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(body.error.message).not.toBe('');
    // {error:{code,message,status,details}}: the violation in a google.rpc.BadRequest detail.
    expect(body.error.details).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [{ description: body.error.message }],
      },
    ]);
  });

  it('accepts thinkingConfig.thinkingLevel in generationConfig (v1beta)', async () => {
    const body = validBody();
    body.generationConfig = { ...body.generationConfig, thinkingConfig: { thinkingLevel: 'LOW' } };

    expect((await post(body)).status).toBe(200);
  });

  it('answers 400 to a body over the inline request limit', async () => {
    const body = validBody();
    body.contents = [{ parts: [{ text: 'x'.repeat(INLINE_REQUEST_LIMIT) }] }];

    const { status, body: answer } = await post(body);

    expect(status).toBe(400);
    expect(answer.error).toMatchObject({
      code: 400,
      status: 'INVALID_ARGUMENT',
      message: `Request payload size exceeds the limit: ${INLINE_REQUEST_LIMIT} bytes.`,
    });
  });

  it('answers 404 NOT_FOUND to an unknown model and 400 API_KEY_INVALID to an empty key', async () => {
    expect((await post(validBody(), { model: 'no-such-model' })).body.error).toMatchObject({
      code: 404,
      status: 'NOT_FOUND',
      message: expect.stringMatching(/^models\/no-such-model is not found for API version v1beta/),
    });
    expect((await post(validBody(), { key: '' })).body.error).toMatchObject({
      code: 400,
      status: 'INVALID_ARGUMENT',
      message: 'API key not valid. Please pass a valid API key.',
      details: [expect.objectContaining({ reason: 'API_KEY_INVALID' })],
    });
  });
});
