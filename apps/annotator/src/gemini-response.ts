import { type ImageProblem, problems } from '@annot/image-rules';
import { PermanentFailure } from '@annot/worker-runtime';
import { type GenerateContentResponse, type SafetyRating, type Schema, Type } from '@google/genai';
import { z } from 'zod';
import { AnnotatorConfigurationError } from './errors.ts';
import type { StructuredAnnotation } from './types.ts';

/** Finish reasons that mean the model refused to describe the image, whatever text came with them. */
const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'IMAGE_OTHER',
  'LANGUAGE',
  'ESCALATION',
  'MODEL_ARMOR',
]);

/**
 * Finish reasons that mean the answer stopped before it was complete: MAX_TOKENS (the output
 * budget, thinking included, ran out) and CONTINUATION (the per-request token limit; the rest would
 * need a continuation request, which the annotator does not make). Their text is never used; the
 * next attempt gets a larger output budget.
 */
const TRUNCATING_FINISH_REASONS = new Set(['MAX_TOKENS', 'CONTINUATION']);

/** Finish reasons that say the account may not use the model: a configuration problem, not the image's. */
const ACCOUNT_FINISH_REASONS = new Set(['PUP_LIMITED_DISABLED']);

/** At most this many tags are kept, the most confident first. */
export const MAX_TAGS = 20;
/** A tag's label is at most this long (the stored, indexed form). */
export const MAX_LABEL_LENGTH = 64;

/**
 * The JSON the model is asked for (generationConfig.responseSchema, the OpenAPI subset Gemini
 * accepts). The same shape is checked again on the answer (answerShape): the schema guides the
 * model, it does not guarantee the answer.
 */
export const ANSWER_SCHEMA: Schema = {
  type: Type.OBJECT,
  properties: {
    caption: {
      type: Type.STRING,
      description: 'One or two sentences of plain prose describing what the image shows.',
    },
    tags: {
      type: Type.ARRAY,
      description: 'Short lowercase labels for the things, scene and kind of image, most certain first.',
      maxItems: String(MAX_TAGS),
      items: {
        type: Type.OBJECT,
        properties: {
          label: {
            type: Type.STRING,
            description: 'One to three lowercase words, e.g. "dog" or "circular saw".',
          },
          confidence: { type: Type.NUMBER, minimum: 0, maximum: 1, description: 'How certain, from 0 to 1.' },
        },
        required: ['label', 'confidence'],
        propertyOrdering: ['label', 'confidence'],
      },
    },
    textInImage: {
      type: Type.STRING,
      nullable: true,
      description: 'All clearly legible text in the image, verbatim; null when there is none.',
    },
  },
  required: ['caption', 'tags', 'textInImage'],
  propertyOrdering: ['caption', 'tags', 'textInImage'],
};

/** What a usable answer looks like. A wrong shape is an unusable answer, retried like a bad JSON. */
const answerShape = z.object({
  caption: z.string().trim().min(1, 'the caption is empty'),
  tags: z
    .array(
      z.object({
        label: z.string().trim().min(1, 'a tag label is empty'),
        confidence: z.number().min(0).max(1),
      }),
    )
    .default([]),
  textInImage: z.string().nullable().optional(),
});

/**
 * The answer could not be used this time (not JSON, the wrong shape, an empty caption, cut off at
 * MAX_TOKENS or CONTINUATION, an OTHER, MALFORMED_RESPONSE or other unexpected finish): worth another attempt. When the attempts run
 * out, `problem` is recorded as the failure.
 */
export class UnusableAnswerError extends Error {
  override readonly name = 'UnusableAnswerError';
  readonly problem: ImageProblem;
  /** The answer stopped at MAX_TOKENS or CONTINUATION: the next attempt gets a larger output budget. */
  readonly truncated: boolean;
  constructor(message: string, problem: ImageProblem, truncated = false) {
    super(message);
    this.problem = problem;
    this.truncated = truncated;
  }
}

/**
 * The structured annotation in a generateContent response. Throws PermanentFailure when the model
 * refused (promptFeedback.blockReason, or a safety-like finish reason), AnnotatorConfigurationError
 * for an account-limited finish, and UnusableAnswerError (retried) for everything else that is not a
 * complete, well-formed answer. A MAX_TOKENS or CONTINUATION answer is never used, even when its
 * text parses: partial text is never stored as a description.
 */
export function annotationFrom(response: GenerateContentResponse): StructuredAnnotation {
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    const message = response.promptFeedback?.blockReasonMessage;
    throw PermanentFailure.of(problems.modelDeclined(blockReason, message ?? undefined));
  }
  const candidate = response.candidates?.[0];
  if (!candidate) {
    throw new UnusableAnswerError(
      'Gemini answered with no candidates',
      problems.noDescription('no candidates'),
    );
  }
  const finishReason = candidate.finishReason ?? 'STOP';
  if (BLOCKING_FINISH_REASONS.has(finishReason)) {
    throw PermanentFailure.of(problems.modelDeclined(finishReason));
  }
  if (ACCOUNT_FINISH_REASONS.has(finishReason)) {
    throw new AnnotatorConfigurationError(
      `Gemini stopped with finish reason ${finishReason}: the account may not use this model`,
    );
  }
  const text = (candidate.content?.parts ?? [])
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('')
    .trim();
  if (TRUNCATING_FINISH_REASONS.has(finishReason)) {
    const thoughts = response.usageMetadata?.thoughtsTokenCount;
    const detail = `finish reason ${finishReason}, ${text.length} characters of text${thoughts === undefined ? '' : `, ${thoughts} thinking tokens`}`;
    throw new UnusableAnswerError(
      `Gemini's answer was cut off (${detail})`,
      problems.truncatedAnswer(detail),
      true,
    );
  }
  if (finishReason !== 'STOP') {
    const detail = `finish reason ${finishReason}`;
    throw new UnusableAnswerError(`Gemini stopped early (${detail})`, problems.malformedAnswer(detail));
  }
  if (text === '') {
    const detail = 'empty text, finish reason STOP';
    throw new UnusableAnswerError(`Gemini answered without text`, problems.noDescription(detail));
  }
  return { ...parseAnswer(text), safety: safetyFrom(candidate.safetyRatings) };
}

/** Parses and checks the answer's JSON, and normalises its tags and text. */
export function parseAnswer(text: string): Omit<StructuredAnnotation, 'safety'> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const detail = `not JSON: ${JSON.stringify(text.slice(0, 80))}`;
    throw new UnusableAnswerError(`Gemini's answer was ${detail}`, problems.malformedAnswer(detail));
  }
  const parsed = answerShape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const detail = `wrong shape: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`;
    throw new UnusableAnswerError(`Gemini's answer had the ${detail}`, problems.malformedAnswer(detail));
  }
  const { caption, tags, textInImage } = parsed.data;
  const text_ = textInImage?.trim() ?? '';
  return {
    annotation: caption.replace(/\s+/g, ' '),
    tags: normaliseTags(tags),
    textInImage: text_ === '' ? null : text_,
  };
}

/** Lowercase, whitespace collapsed, at most 64 characters, one per label (the most confident), most confident first. */
function normaliseTags(tags: readonly { label: string; confidence: number }[]) {
  const best = new Map<string, number>();
  for (const tag of tags) {
    const label = tag.label.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_LABEL_LENGTH).trim();
    if (label === '') continue;
    best.set(label, Math.max(best.get(label) ?? 0, tag.confidence));
  }
  return [...best]
    .map(([label, confidence]) => ({ label, confidence, source: 'gemini' }))
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, MAX_TAGS);
}

/**
 * The content-safety flag from the answer's safety ratings: sensitive when any category is rated
 * MEDIUM or HIGH (or was blocked), safe when ratings came and none is, null when none came.
 */
export function safetyFrom(ratings: readonly SafetyRating[] | undefined): 'safe' | 'sensitive' | null {
  if (!ratings || ratings.length === 0) return null;
  const sensitive = ratings.some(
    (rating) => rating.blocked === true || rating.probability === 'MEDIUM' || rating.probability === 'HIGH',
  );
  return sensitive ? 'sensitive' : 'safe';
}
