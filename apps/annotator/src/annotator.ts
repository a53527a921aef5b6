import { AnnotatorConfigurationError } from './errors.ts';
import { createGeminiAnnotator, type GeminiAnnotatorOptions } from './gemini.ts';
import { createLocalAnnotator } from './local.ts';
import type { Annotator, AnnotatorSettings } from './types.ts';
import { createVisionAnnotator } from './vision.ts';

/** Test and logging hooks for the Gemini annotator's retries. */
export type AnnotatorHooks = Pick<GeminiAnnotatorOptions, 'sleep' | 'random' | 'onRetry'> & {
  /**
   * The offline vision annotator's models in a worker thread (true, the default: the embedded
   * system) or in-process (false: Lambda, one event at a time). See VisionAnnotatorOptions.thread.
   */
  readonly visionThread?: boolean;
};

/**
 * The configured annotator: Gemini when settings.kind is "gemini" (the key must be resolved by
 * then, see resolveSecrets), otherwise the offline vision annotator (LOCAL_ANNOTATOR=vision, the
 * default) or the facts-only analyser (LOCAL_ANNOTATOR=facts).
 */
export function createAnnotator(settings: AnnotatorSettings, hooks: AnnotatorHooks = {}): Annotator {
  if (settings.kind === 'local') {
    if (settings.local === 'facts') return createLocalAnnotator({ maxInputPixels: settings.maxInputPixels });
    return createVisionAnnotator({
      maxInputPixels: settings.maxInputPixels,
      minLabelConfidence: settings.minLabelConfidence,
      minTextConfidence: settings.minTextConfidence,
      sensitiveThreshold: settings.sensitiveThreshold,
      ...(hooks.visionThread === undefined ? {} : { thread: hooks.visionThread }),
    });
  }
  const { visionThread: _, ...geminiHooks } = hooks;
  if (!settings.geminiApiKey) {
    throw new AnnotatorConfigurationError(
      settings.geminiApiKeySecretArn
        ? 'The Gemini API key secret (GEMINI_API_KEY_SECRET_ARN) was not resolved: call resolveSecrets(config) before createAnnotator'
        : 'The Gemini annotator needs GEMINI_API_KEY or GEMINI_API_KEY_SECRET_ARN',
    );
  }
  return createGeminiAnnotator({
    apiKey: settings.geminiApiKey,
    model: settings.model,
    baseUrl: settings.baseUrl,
    timeoutMs: settings.timeoutMs,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
    maxEdge: settings.maxEdge,
    maxInputPixels: settings.maxInputPixels,
    ...geminiHooks,
  });
}
