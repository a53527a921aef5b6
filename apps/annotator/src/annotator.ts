import { AnnotatorConfigurationError } from './errors.ts';
import { createGeminiAnnotator, type GeminiAnnotatorOptions } from './gemini.ts';
import { createLocalAnnotator } from './local.ts';
import type { Annotator, AnnotatorSettings } from './types.ts';

/** Test and logging hooks for the Gemini annotator's retries. */
export type AnnotatorHooks = Pick<GeminiAnnotatorOptions, 'sleep' | 'random' | 'onRetry'>;

/**
 * The configured annotator: Gemini when settings.kind is "gemini" (the key must be resolved by
 * then, see resolveSecrets), otherwise the local image-analysis annotator.
 */
export function createAnnotator(settings: AnnotatorSettings, hooks: AnnotatorHooks = {}): Annotator {
  if (settings.kind === 'local') return createLocalAnnotator({ maxInputPixels: settings.maxInputPixels });
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
    ...hooks,
  });
}
