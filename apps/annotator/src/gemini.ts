import { GoogleGenAI, ThinkingLevel } from '@google/genai';
import { classifyGeminiFailure } from './gemini-errors.ts';
import { descriptionFrom } from './gemini-response.ts';
import { prepareForModel } from './prepare.ts';
import { DESCRIBE_PROMPT } from './prompt.ts';
import { type RetryOptions, withRetries } from './retry.ts';
import type { Annotator } from './types.ts';

export interface GeminiAnnotatorOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Overrides https://generativelanguage.googleapis.com (tests, proxies). */
  readonly baseUrl?: string | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly maxEdge: number;
  readonly maxInputPixels: number;
  /** Injected in tests; default setTimeout and Math.random. */
  readonly sleep?: RetryOptions['sleep'];
  readonly random?: RetryOptions['random'];
  readonly onRetry?: RetryOptions['onRetry'];
}

/** No single backoff, and no server-requested delay we wait for in-process, is longer than this. */
const MAX_BACKOFF_MS = 20_000;

/**
 * Describes images with Gemini through @google/genai. The client is built once and reused. Each
 * call sends one downscaled JPEG inline with the prompt; the SDK enforces the per-attempt timeout
 * (httpOptions.timeout) and its own retries stay off, so the attempts and backoff are ours alone.
 */
export function createGeminiAnnotator(options: GeminiAnnotatorOptions): Annotator {
  const client = new GoogleGenAI({
    apiKey: options.apiKey,
    httpOptions: { timeout: options.timeoutMs, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) },
  });
  const policy = {
    maxAttempts: options.maxAttempts,
    baseMs: options.retryBaseMs,
    capMs: MAX_BACKOFF_MS,
    maxHintMs: MAX_BACKOFF_MS,
  };
  // Gemini 3 models think before answering; a short visual description needs little of it, and
  // less thinking means lower latency and cost. Older families reject thinkingLevel, so it is only
  // sent where it exists.
  const thinkingConfig = /^gemini-3/.test(options.model) ? { thinkingLevel: ThinkingLevel.LOW } : undefined;

  return {
    name: 'gemini',
    model: options.model,
    async describe(image, callOptions) {
      const prepared = await prepareForModel(image, options);
      const data = prepared.data.toString('base64');
      const signal = callOptions?.signal;
      // The SDK's ApiError carries the body but not the headers, so Retry-After is read here.
      let retryAfter: string | null = null;
      const fetchKeepingRetryAfter = async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await fetch(input, init);
        retryAfter = response.headers.get('retry-after');
        return response;
      };
      return withRetries(
        async () => {
          retryAfter = null;
          const response = await client.models.generateContent({
            model: options.model,
            contents: [
              {
                role: 'user',
                parts: [{ inlineData: { mimeType: prepared.mimeType, data } }, { text: DESCRIBE_PROMPT }],
              },
            ],
            config: {
              maxOutputTokens: 1024,
              // One request per attempt: a two-sentence answer never needs continuation hops.
              automaticContinuation: false,
              ...(thinkingConfig ? { thinkingConfig } : {}),
              ...(signal ? { abortSignal: signal } : {}),
              httpOptions: { fetch: fetchKeepingRetryAfter },
            },
          });
          return descriptionFrom(response);
        },
        {
          policy,
          classify: (error) =>
            classifyGeminiFailure(error, { timeoutMs: options.timeoutMs, callerSignal: signal, retryAfter }),
          ...(options.sleep ? { sleep: options.sleep } : {}),
          ...(options.random ? { random: options.random } : {}),
          ...(options.onRetry ? { onRetry: options.onRetry } : {}),
          ...(signal ? { signal } : {}),
        },
      );
    },
  };
}
