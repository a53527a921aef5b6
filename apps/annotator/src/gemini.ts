import { GEMINI_MAX_BACKOFF_MS } from '@annot/config';
import { PermanentFailure } from '@annot/worker-runtime';
import { GoogleGenAI, ThinkingLevel } from '@google/genai';
import { classifyGeminiFailure } from './gemini-errors.ts';
import { ANSWER_SCHEMA, annotationFrom, UnusableAnswerError } from './gemini-response.ts';
import { prepareForModel } from './prepare.ts';
import { DESCRIBE_PROMPT } from './prompt.ts';
import { type FailureVerdict, type RetryOptions, withRetries } from './retry.ts';
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

/**
 * The output budget of a first attempt. Gemini 3 counts thinking tokens against it, so an answer
 * that stops at MAX_TOKENS is retried with twice the budget, up to MAX_OUTPUT_TOKENS_CEILING.
 */
export const MAX_OUTPUT_TOKENS = 2048;
export const MAX_OUTPUT_TOKENS_CEILING = 8192;

/**
 * The API version the requests rely on. responseSchema with responseMimeType and thinkingConfig
 * are documented on v1beta (the Gemini API reference); the SDK's own default (v1) is not certain to
 * accept them, so the version is pinned, and vertexai is false, so that SDK environment variables
 * (GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_API_VERSION) cannot switch the backend underneath.
 */
export const GEMINI_API_VERSION = 'v1beta';

/**
 * Annotates images with Gemini through @google/genai: a caption, tags (source "gemini") and the
 * text in the image, asked for as JSON matching a response schema and checked on arrival, plus a
 * safety flag from the answer's safety ratings. An unusable answer (not JSON, the wrong shape, an
 * empty caption, cut off at MAX_TOKENS) is retried within the same attempts, then recorded as
 * failed. The client is built once and reused. Each call sends one downscaled JPEG inline with the
 * prompt, within the inline request limit; the SDK enforces the per-attempt timeout
 * (httpOptions.timeout) and its own retries stay off, so the attempts and backoff are ours alone.
 * With a deadline (the Lambda's remaining time), no attempt or wait runs past it.
 */
export function createGeminiAnnotator(options: GeminiAnnotatorOptions): Annotator {
  const client = new GoogleGenAI({
    vertexai: false,
    apiKey: options.apiKey,
    apiVersion: GEMINI_API_VERSION,
    httpOptions: { timeout: options.timeoutMs, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) },
  });
  const policy = {
    maxAttempts: options.maxAttempts,
    baseMs: options.retryBaseMs,
    capMs: GEMINI_MAX_BACKOFF_MS,
    maxHintMs: GEMINI_MAX_BACKOFF_MS,
    // With a deadline, an attempt starts only when a whole timeout still fits before it.
    attemptMs: options.timeoutMs,
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
      const deadline = callOptions?.deadline;
      // The SDK's ApiError carries the body but not the headers, so Retry-After is read here.
      let retryAfter: string | null = null;
      const fetchKeepingRetryAfter = async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await fetch(input, init);
        retryAfter = response.headers.get('retry-after');
        return response;
      };
      // Doubled after an answer cut off at MAX_TOKENS, so that the next attempt can finish.
      let maxOutputTokens = MAX_OUTPUT_TOKENS;
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
              maxOutputTokens,
              // Structured output: JSON matching ANSWER_SCHEMA (caption, tags, text in the image).
              responseMimeType: 'application/json',
              responseSchema: ANSWER_SCHEMA,
              // One request per attempt: a two-sentence answer never needs continuation hops.
              automaticContinuation: false,
              ...(thinkingConfig ? { thinkingConfig } : {}),
              ...(signal ? { abortSignal: signal } : {}),
              httpOptions: { fetch: fetchKeepingRetryAfter },
            },
          });
          return annotationFrom(response);
        },
        {
          policy,
          classify: (error): FailureVerdict => {
            if (error instanceof UnusableAnswerError && !signal?.aborted) {
              if (error.truncated) maxOutputTokens = Math.min(maxOutputTokens * 2, MAX_OUTPUT_TOKENS_CEILING);
              return {
                retry: true,
                reason: error.message,
                whenExhausted: PermanentFailure.of(error.problem, { cause: error }),
              };
            }
            return classifyGeminiFailure(error, {
              timeoutMs: options.timeoutMs,
              callerSignal: signal,
              retryAfter,
            });
          },
          ...(options.sleep ? { sleep: options.sleep } : {}),
          ...(options.random ? { random: options.random } : {}),
          ...(options.onRetry ? { onRetry: options.onRetry } : {}),
          ...(signal ? { signal } : {}),
          ...(deadline ? { deadline } : {}),
        },
      );
    },
  };
}
