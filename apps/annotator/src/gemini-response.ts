import { problems } from '@annot/image-rules';
import { PermanentFailure } from '@annot/worker-runtime';
import type { GenerateContentResponse } from '@google/genai';

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
]);

/**
 * The description in a generateContent response, or a PermanentFailure that says why there
 * is none: the prompt was blocked (promptFeedback.blockReason), the answer was stopped by a safety
 * filter (finishReason SAFETY and the like), or there was no candidate or no text. A MAX_TOKENS
 * answer with text is kept: a slightly clipped description is still useful.
 */
export function descriptionFrom(response: GenerateContentResponse): string {
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    const message = response.promptFeedback?.blockReasonMessage;
    throw PermanentFailure.of(problems.modelDeclined(blockReason, message ?? undefined));
  }
  const candidate = response.candidates?.[0];
  if (!candidate) throw PermanentFailure.of(problems.noDescription('no candidates'));
  const finishReason = candidate.finishReason;
  if (finishReason && BLOCKING_FINISH_REASONS.has(finishReason)) {
    throw PermanentFailure.of(problems.modelDeclined(finishReason));
  }
  const text = (candidate.content?.parts ?? [])
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('')
    .trim();
  if (text === '') {
    throw PermanentFailure.of(problems.noDescription(`empty text, finish reason ${finishReason ?? 'none'}`));
  }
  return text;
}
