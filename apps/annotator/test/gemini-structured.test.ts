import { type FakeGemini, type GeminiBehaviour, startFakeGemini } from '@annot/testing';
import { type CheckedImage, PermanentFailure } from '@annot/worker-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorConfigurationError, createAnnotator } from '../src/index.ts';
import { checkedFixture, geminiSettings } from './support.ts';

let gemini: FakeGemini;
let image: CheckedImage;
beforeAll(async () => {
  gemini = await startFakeGemini();
  image = await checkedFixture('2569067123_aca715a2ee_o.jpg');
});
afterAll(() => gemini.stop());
beforeEach(() => gemini.reset());

/** GEMINI_MAX_ATTEMPTS is 3 in the test settings; backoff waits are skipped. */
const annotatorWithAttempts = (max = '3') =>
  createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_MAX_ATTEMPTS: max }), { sleep: async () => {} });

const MALFORMED = /^The file was not described: Gemini's answers were not a usable description$/;
const TRUNCATED = /^The file was not described: Gemini's answers were cut off before they were complete$/;

describe('structured answers from Gemini', () => {
  it('yields the caption, normalised tags (source gemini), the text in the image and the safety flag', async () => {
    const annotator = annotatorWithAttempts();
    gemini.enqueue({
      kind: 'structured',
      caption: '  A person cuts a board with a   circular saw. ',
      tags: [
        { label: 'Circular Saw', confidence: 0.93 },
        { label: 'person', confidence: 0.88 },
        { label: 'circular  saw', confidence: 0.5 },
        { label: 'x'.repeat(80), confidence: 0.2 },
      ],
      textInImage: ' BLACK+DECKER ',
      safetyRatings: [
        { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'LOW' },
        { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
      ],
    });

    const result = await annotator.describe(image);

    expect(result).toEqual({
      annotation: 'A person cuts a board with a circular saw.',
      tags: [
        { label: 'circular saw', confidence: 0.93, source: 'gemini' },
        { label: 'person', confidence: 0.88, source: 'gemini' },
        { label: 'x'.repeat(64), confidence: 0.2, source: 'gemini' },
      ],
      textInImage: 'BLACK+DECKER',
      safety: 'safe',
    });
    expect(gemini.requests).toHaveLength(1);
  });

  it.each<[string, GeminiBehaviour, 'safe' | 'sensitive' | null]>([
    ['no safety ratings', { kind: 'structured', caption: 'A lake.' }, null],
    [
      'a MEDIUM rating',
      {
        kind: 'structured',
        caption: 'A boxing match.',
        safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM' }],
      },
      'sensitive',
    ],
  ])('takes the safety flag from the ratings: %s', async (_, behaviour, safety) => {
    gemini.enqueue(behaviour);

    await expect(annotatorWithAttempts().describe(image)).resolves.toMatchObject({ safety });
  });

  it('records no text as null, whether the answer says null or an empty string', async () => {
    gemini.enqueue({ kind: 'json', value: { caption: 'A lake.', tags: [], textInImage: '  ' } });

    await expect(annotatorWithAttempts().describe(image)).resolves.toMatchObject({ textInImage: null });
  });
});

describe('unusable answers are retried, then recorded as failed with a reason', () => {
  it('retries malformed JSON and uses the next, good answer', async () => {
    gemini.enqueue(
      { kind: 'text', text: 'A lake at dusk.' },
      { kind: 'structured', caption: 'A lake at dusk.' },
    );

    await expect(annotatorWithAttempts().describe(image)).resolves.toMatchObject({
      annotation: 'A lake at dusk.',
    });
    expect(gemini.requests).toHaveLength(2);
  });

  it.each<[string, GeminiBehaviour]>([
    ['not JSON', { kind: 'text', text: 'A lake at dusk.' }],
    ['JSON cut short', { kind: 'text', text: '{"caption":"A lake' }],
    ['no caption', { kind: 'json', value: { tags: [], textInImage: null } }],
    ['an empty caption', { kind: 'structured', caption: '   ' }],
    [
      'a confidence over 1',
      { kind: 'json', value: { caption: 'A lake.', tags: [{ label: 'lake', confidence: 7 }] } },
    ],
    ['tags that are not a list', { kind: 'json', value: { caption: 'A lake.', tags: 'lake' } }],
    ['an array', { kind: 'json', value: ['A lake.'] }],
    ['finish reason OTHER', { kind: 'structured', caption: 'A lake.', finishReason: 'OTHER' }],
    ['finish reason MALFORMED_RESPONSE', { kind: 'finish', finishReason: 'MALFORMED_RESPONSE' }],
  ])('%s: GEMINI_MAX_ATTEMPTS requests, then a PermanentFailure', async (_, behaviour) => {
    gemini.enqueue(behaviour, behaviour, behaviour, behaviour);

    const error = await annotatorWithAttempts()
      .describe(image)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as PermanentFailure).reason).toMatch(MALFORMED);
    expect((error as PermanentFailure).detail).toBeTruthy();
    expect(gemini.requests).toHaveLength(3);
  });

  it('no candidates, every time: failed as an answer without a description', async () => {
    gemini.enqueue({ kind: 'empty' }, { kind: 'empty' });

    const error = await annotatorWithAttempts('2')
      .describe(image)
      .catch((e: unknown) => e);

    expect((error as PermanentFailure).reason).toBe(
      'The file was not described: Gemini answered without a description',
    );
    expect(gemini.requests).toHaveLength(2);
  });

  it('never keeps a MAX_TOKENS answer, even when its text parses; the retry gets twice the output budget', async () => {
    gemini.enqueue(
      {
        kind: 'json',
        value: { caption: 'A lake with a wooden pier and', tags: [] },
        finishReason: 'MAX_TOKENS',
      },
      { kind: 'finish', finishReason: 'MAX_TOKENS' },
      { kind: 'structured', caption: 'A lake with a wooden pier and a boat.' },
    );

    const result = await annotatorWithAttempts().describe(image);

    expect(result.annotation).toBe('A lake with a wooden pier and a boat.');
    expect(gemini.requests.map((r) => r.body.generationConfig?.['maxOutputTokens'])).toEqual([
      2048, 4096, 8192,
    ]);
  });

  it('records answers cut off at MAX_TOKENS every time as failed, with its own reason', async () => {
    const cut: GeminiBehaviour = {
      kind: 'structured',
      caption: 'A lake with a wooden pier.',
      finishReason: 'MAX_TOKENS',
    };
    gemini.enqueue(cut, cut, cut);

    const error = await annotatorWithAttempts()
      .describe(image)
      .catch((e: unknown) => e);

    expect((error as PermanentFailure).reason).toMatch(TRUNCATED);
    expect(gemini.requests).toHaveLength(3);
  });

  it('a safety block is not retried: failed after one request', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'SAFETY' }, { kind: 'structured', caption: 'A lake.' });

    const error = await annotatorWithAttempts()
      .describe(image)
      .catch((e: unknown) => e);

    expect((error as PermanentFailure).reason).toBe(
      'The file was not described: Gemini declined to describe it (SAFETY)',
    );
    expect(gemini.requests).toHaveLength(1);
  });

  it('an account-limited finish (PUP_LIMITED_DISABLED) is a configuration error, not the image', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'PUP_LIMITED_DISABLED' });

    await expect(annotatorWithAttempts().describe(image)).rejects.toBeInstanceOf(AnnotatorConfigurationError);
    expect(gemini.requests).toHaveLength(1);
  });
});
