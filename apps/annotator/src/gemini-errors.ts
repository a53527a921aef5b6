import { problems } from '@annot/image-rules';
import { PermanentFailure } from '@annot/worker-runtime';
import { ApiError } from '@google/genai';
import { AnnotatorConfigurationError } from './errors.ts';
import type { FailureVerdict } from './retry.ts';

/** HTTP statuses worth another attempt: throttling, server errors and gateway timeouts. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Google's error body: {"error":{"code","message","status","details":[...]}}. */
interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; reason?: string; retryDelay?: string }[];
}

/** The SDK puts the response body, as JSON text, in ApiError.message. */
export function parseGoogleError(error: ApiError): GoogleError {
  try {
    const parsed = JSON.parse(error.message) as { error?: GoogleError };
    return parsed.error ?? {};
  } catch {
    return { message: error.message };
  }
}

/** Reads a delay like "30s" or "1.5s" (google.protobuf.Duration as JSON) in milliseconds. */
export function parseDuration(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** Reads a Retry-After header (seconds, or an HTTP date) in milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sorts a failed Gemini call into retry (with the server's requested delay, if any) or a final
 * error. The rules:
 * - timeouts, network failures, 408/429/500/502/503/504: retry;
 * - 401, 403, 404, an invalid API key (400 API_KEY_INVALID) or FAILED_PRECONDITION (e.g. region
 *   not supported, billing): AnnotatorConfigurationError, thrown without retrying in-process.
 *   It is no fault of the image, so the row is not marked failed; the event goes to the DLQ;
 * - any other 4xx (400 INVALID_ARGUMENT, 413): PermanentFailure, the row is marked failed;
 * - anything else (a bug): thrown as it is.
 */
export function classifyGeminiFailure(
  error: unknown,
  context: { timeoutMs: number; callerSignal?: AbortSignal; retryAfter?: string | null },
): FailureVerdict {
  if (context.callerSignal?.aborted) return { retry: false, error };
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return { retry: true, reason: `Gemini did not answer within ${context.timeoutMs} ms` };
  }
  if (error instanceof ApiError) {
    const body = parseGoogleError(error);
    const label = `${error.status}${body.status ? ` ${body.status}` : ''}`;
    const detail = (body.message ?? '').slice(0, 300);
    if (RETRYABLE_STATUS.has(error.status)) {
      const retryInfo = body.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
      const hintMs = parseDuration(retryInfo?.retryDelay) ?? parseRetryAfter(context.retryAfter);
      return {
        retry: true,
        reason: `Gemini answered ${label}: ${detail}`,
        ...(hintMs === undefined ? {} : { hintMs }),
      };
    }
    const reasons = body.details?.map((d) => d.reason) ?? [];
    if (
      [401, 403, 404].includes(error.status) ||
      reasons.includes('API_KEY_INVALID') ||
      body.status === 'FAILED_PRECONDITION'
    ) {
      return {
        retry: false,
        error: new AnnotatorConfigurationError(`Gemini refused the request (${label}): ${detail}`, {
          cause: error,
        }),
      };
    }
    return {
      retry: false,
      error: PermanentFailure.of(problems.modelRefused(label, detail), { cause: error }),
    };
  }
  if (
    error instanceof TypeError &&
    /fetch failed|network|socket|ECONN/i.test(`${error.message} ${error.cause}`)
  ) {
    return { retry: true, reason: `Could not reach Gemini: ${String(error.cause ?? error.message)}` };
  }
  return { retry: false, error };
}
