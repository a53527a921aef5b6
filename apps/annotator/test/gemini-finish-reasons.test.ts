import { type FakeGemini, type GeminiBehaviour, startFakeGemini } from '@annot/testing';
import { type CheckedImage, PermanentFailure } from '@annot/worker-runtime';
import { FinishReason } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorConfigurationError, createAnnotator } from '../src/index.ts';
import { checkedFixture, geminiSettings } from './support.ts';

/**
 * Every finish reason @google/genai knows, with and without text, against the fake Gemini: what
 * the annotator makes of each. A reason the SDK adds later fails the first test until it is placed.
 */
type Outcome =
  /** Used as the description (only STOP with text). */
  | 'described'
  /** The model refused: failed at once, with the reason named. */
  | 'declined'
  /** The account may not use the model: a configuration error, the event kept. */
  | 'configuration'
  /** Cut off: retried with a growing output budget, then failed; the partial text never used. */
  | 'truncated'
  /** Not a usable answer: retried, then failed. */
  | 'unusable'
  /** STOP without text: retried, then failed as no description. */
  | 'no description';

const OUTCOMES: Record<FinishReason, { withText: Outcome; withoutText: Outcome }> = {
  FINISH_REASON_UNSPECIFIED: { withText: 'unusable', withoutText: 'unusable' },
  STOP: { withText: 'described', withoutText: 'no description' },
  MAX_TOKENS: { withText: 'truncated', withoutText: 'truncated' },
  CONTINUATION: { withText: 'truncated', withoutText: 'truncated' },
  SAFETY: { withText: 'declined', withoutText: 'declined' },
  RECITATION: { withText: 'declined', withoutText: 'declined' },
  LANGUAGE: { withText: 'declined', withoutText: 'declined' },
  BLOCKLIST: { withText: 'declined', withoutText: 'declined' },
  PROHIBITED_CONTENT: { withText: 'declined', withoutText: 'declined' },
  SPII: { withText: 'declined', withoutText: 'declined' },
  IMAGE_SAFETY: { withText: 'declined', withoutText: 'declined' },
  IMAGE_PROHIBITED_CONTENT: { withText: 'declined', withoutText: 'declined' },
  IMAGE_OTHER: { withText: 'declined', withoutText: 'declined' },
  IMAGE_RECITATION: { withText: 'declined', withoutText: 'declined' },
  ESCALATION: { withText: 'declined', withoutText: 'declined' },
  MODEL_ARMOR: { withText: 'declined', withoutText: 'declined' },
  PUP_LIMITED_DISABLED: { withText: 'configuration', withoutText: 'configuration' },
  OTHER: { withText: 'unusable', withoutText: 'unusable' },
  MALFORMED_RESPONSE: { withText: 'unusable', withoutText: 'unusable' },
  MALFORMED_FUNCTION_CALL: { withText: 'unusable', withoutText: 'unusable' },
  UNEXPECTED_TOOL_CALL: { withText: 'unusable', withoutText: 'unusable' },
  TOO_MANY_TOOL_CALLS: { withText: 'unusable', withoutText: 'unusable' },
  MISSING_THOUGHT_SIGNATURE: { withText: 'unusable', withoutText: 'unusable' },
  NO_IMAGE: { withText: 'unusable', withoutText: 'unusable' },
};

const REASON = {
  truncated: "The file was not described: Gemini's answers were cut off before they were complete",
  unusable: "The file was not described: Gemini's answers were not a usable description",
  'no description': 'The file was not described: Gemini answered without a description',
} as const;

let gemini: FakeGemini;
let image: CheckedImage;
beforeAll(async () => {
  gemini = await startFakeGemini();
  image = await checkedFixture('Landscape_1.jpg');
});
afterAll(() => gemini.stop());
beforeEach(() => gemini.reset());

/** Three attempts; backoff waits skipped. */
const annotator = () =>
  createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_MAX_ATTEMPTS: '3' }), { sleep: async () => {} });

const cases = Object.entries(OUTCOMES).flatMap(([reason, outcome]) => [
  {
    name: `${reason} with text`,
    reason,
    outcome: outcome.withText,
    // A complete JSON answer (cut in half by the fake for MAX_TOKENS and CONTINUATION).
    behaviour: {
      kind: 'structured',
      caption: 'A lake with a wooden pier.',
      finishReason: reason,
    } as GeminiBehaviour,
  },
  {
    name: `${reason} without text`,
    reason,
    outcome: outcome.withoutText,
    behaviour: { kind: 'finish', finishReason: reason } as GeminiBehaviour,
  },
]);

describe('every finish reason, with and without text', () => {
  it('places every finish reason @google/genai knows', () => {
    expect(Object.keys(OUTCOMES).sort()).toEqual(Object.values(FinishReason).sort());
  });

  it.each(cases)('$name: $outcome', async ({ reason, outcome, behaviour }) => {
    gemini.enqueue(behaviour, behaviour, behaviour);

    const result = await annotator()
      .describe(image)
      .catch((e: unknown) => e);

    const sent = gemini.requests.length;
    switch (outcome) {
      case 'described':
        expect(result).toMatchObject({ annotation: 'A lake with a wooden pier.' });
        expect(sent).toBe(1);
        break;
      case 'declined':
        expect(result).toBeInstanceOf(PermanentFailure);
        expect((result as PermanentFailure).reason).toBe(
          `The file was not described: Gemini declined to describe it (${reason})`,
        );
        expect(sent).toBe(1);
        break;
      case 'configuration':
        expect(result).toBeInstanceOf(AnnotatorConfigurationError);
        expect((result as Error).message).toMatch(/the account may not use this model/);
        expect(sent).toBe(1);
        break;
      default:
        expect(result).toBeInstanceOf(PermanentFailure);
        expect((result as PermanentFailure).reason).toBe(REASON[outcome]);
        expect((result as PermanentFailure).detail).toContain(outcome === 'no description' ? 'STOP' : reason);
        expect(sent).toBe(3);
        // Only a cut-off answer earns a larger output budget (thinking counts against it).
        expect(gemini.requests.map((r) => r.body.generationConfig?.['maxOutputTokens'])).toEqual(
          outcome === 'truncated' ? [2048, 4096, 8192] : [2048, 2048, 2048],
        );
    }
  });

  it('reports the thinking tokens of an answer cut off with no text: the whole budget went on thinking', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'MAX_TOKENS' });

    const result = await createAnnotator(geminiSettings(gemini.baseUrl, { GEMINI_MAX_ATTEMPTS: '1' }))
      .describe(image)
      .catch((e: unknown) => e);

    expect((result as PermanentFailure).detail).toBe(
      'finish reason MAX_TOKENS, 0 characters of text, 2048 thinking tokens',
    );
  });
});
