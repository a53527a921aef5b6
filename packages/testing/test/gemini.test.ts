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
  candidates: { content: { parts: { text: string }[] }; finishReason: string }[];
  usageMetadata: { thoughtsTokenCount: number };
  error: { code: number; status: string; message: string; details?: unknown[] };
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
    expect(JSON.parse(body.candidates[0]!.content.parts[0]!.text)).toEqual({
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
    expect(() => JSON.parse(body.candidates[0]!.content.parts[0]!.text)).toThrow();
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
  });

  it('answers 400 to a body over the inline request limit', async () => {
    const body = validBody();
    body.contents = [{ parts: [{ text: 'x'.repeat(INLINE_REQUEST_LIMIT) }] }];

    expect((await post(body)).status).toBe(400);
  });

  it('answers 404 NOT_FOUND to an unknown model and 400 API_KEY_INVALID to an empty key', async () => {
    expect((await post(validBody(), { model: 'no-such-model' })).body.error).toMatchObject({
      code: 404,
      status: 'NOT_FOUND',
    });
    expect((await post(validBody(), { key: '' })).body.error).toMatchObject({
      code: 400,
      details: [expect.objectContaining({ reason: 'API_KEY_INVALID' })],
    });
  });
});
