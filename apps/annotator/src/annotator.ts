import { AnnotatorConfigurationError } from './errors.ts';
import type { GeminiAnnotatorOptions } from './gemini.ts';
import { createLocalAnnotator } from './local.ts';
import type { Annotator, AnnotatorSettings } from './types.ts';
import { createVisionAnnotator } from './vision.ts';

/** Test and logging hooks for the Gemini annotator's retries. */
export type AnnotatorHooks = Pick<GeminiAnnotatorOptions, 'sleep' | 'random' | 'onRetry'>;

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
    });
  }
  if (!settings.geminiApiKey) {
    throw new AnnotatorConfigurationError(
      settings.geminiApiKeySecretArn
        ? 'The Gemini API key secret (GEMINI_API_KEY_SECRET_ARN) was not resolved: call resolveSecrets(config) before createAnnotator'
        : 'The Gemini annotator needs GEMINI_API_KEY or GEMINI_API_KEY_SECRET_ARN',
    );
  }
  return lazyGemini({
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

/**
 * The Gemini annotator, its module (and with it the Gemini SDK, a large part of the Lambda bundle)
 * imported on the first image rather than at start: a cold start that is not yet annotating does
 * not compile it (build.mjs puts it in a chunk of its own). A failed import is tried again on the
 * next image.
 */
function lazyGemini(options: GeminiAnnotatorOptions): Annotator {
  let loading: Promise<Annotator> | undefined;
  const load = () => {
    loading ??= import('./gemini.ts').then(
      ({ createGeminiAnnotator }) => createGeminiAnnotator(options),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return {
    name: 'gemini',
    model: options.model,
    describe: async (image, callOptions) => (await load()).describe(image, callOptions),
  };
}
