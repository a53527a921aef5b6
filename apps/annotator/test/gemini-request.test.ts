import { type FakeGemini, INLINE_REQUEST_LIMIT, startFakeGemini } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnnotator, DESCRIBE_PROMPT } from '../src/index.ts';
import { checkedFixture, decoded, geminiSettings, noisyJpeg } from './support.ts';

let gemini: FakeGemini;
beforeAll(async () => {
  gemini = await startFakeGemini();
});
afterAll(() => gemini.stop());
beforeEach(() => gemini.reset());

describe('what the Gemini annotator sends', () => {
  it('posts one generateContent request for the configured model, with the key, prompt and an inline JPEG', async () => {
    // Arrange
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_MODEL: 'gemini-test-model' }));
    gemini.enqueue({ kind: 'structured', caption: '  Pink flowers in a garden bed.  ' });

    // Act
    const result = await annotator.describe(await checkedFixture('flowers.jpeg'));

    // Assert
    expect(result).toEqual({
      annotation: 'Pink flowers in a garden bed.',
      tags: [],
      textInImage: null,
      safety: null,
    });
    expect(annotator).toMatchObject({ name: 'gemini', model: 'gemini-test-model' });
    expect(gemini.requests).toHaveLength(1);
    const [request] = gemini.requests;
    expect(request).toMatchObject({ method: 'POST', model: 'gemini-test-model', apiKey: 'test-key' });
    // Pinned: structured output and thinkingConfig are documented on v1beta.
    expect(request!.path).toBe('/v1beta/models/gemini-test-model:generateContent');
    expect(request!.prompt).toBe(DESCRIBE_PROMPT);
    expect(request!.prompt).toMatch(/one or two sentences/);
    expect(request!.images).toHaveLength(1);
    expect(request!.images[0]!.mimeType).toBe('image/jpeg');
    expect(request!.body.generationConfig).toMatchObject({
      maxOutputTokens: 2048,
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'OBJECT',
        required: ['caption', 'tags', 'textInImage'],
        properties: { caption: { type: 'STRING' }, tags: { type: 'ARRAY' }, textInImage: { nullable: true } },
      },
    });
  });

  it('downscales a 1920x1080 original to ANNOTATION_MAX_EDGE on its longest edge (1024x576)', async () => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl));

    await annotator.describe(await checkedFixture('flowers.jpeg'));

    const sent = await decoded(gemini.requests[0]!.images[0]!.data);
    expect(sent).toMatchObject({ format: 'jpeg', width: 1024, height: 576 });
  });

  it('honours a smaller ANNOTATION_MAX_EDGE', async () => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl, { ANNOTATION_MAX_EDGE: '256' }));

    await annotator.describe(await checkedFixture('2569067123_aca715a2ee_o.jpg'));

    // 2725x2225 scaled to 256 on the long edge.
    expect(await decoded(gemini.requests[0]!.images[0]!.data)).toMatchObject({ width: 256, height: 209 });
  });

  it.each([
    ['Landscape_1.jpg', 600, 450],
    // Stored 450x600 with EXIF orientation 6: sent upright, as people see it.
    ['Landscape_6.jpg', 600, 450],
    ['Portrait_8.jpg', 450, 600],
  ])('never enlarges a small original: %s is sent as %ix%i', async (name, width, height) => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl));

    await annotator.describe(await checkedFixture(name));

    expect(await decoded(gemini.requests[0]!.images[0]!.data)).toMatchObject({
      format: 'jpeg',
      width,
      height,
    });
  });

  it('sends a noisy 4096-pixel original at ANNOTATION_MAX_EDGE=4096 within the inline request limit', async () => {
    const annotator = createAnnotator(geminiSettings(gemini.baseUrl, { ANNOTATION_MAX_EDGE: '4096' }));
    const image = await checkOriginal(await noisyJpeg(4096));

    // The fake refuses a body over the limit with a 400, which would be a configuration error.
    await expect(annotator.describe(image)).resolves.toMatchObject({ annotation: 'A test photograph.' });

    const body = JSON.stringify(gemini.requests[0]!.body);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(INLINE_REQUEST_LIMIT);
    expect(await decoded(gemini.requests[0]!.images[0]!.data)).toMatchObject({ format: 'jpeg' });
  }, 120_000);
});
