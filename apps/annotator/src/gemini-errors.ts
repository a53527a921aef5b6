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
  details?: {
    '@type'?: string;
    reason?: string;
    retryDelay?: string;
    violations?: { quotaMetric?: string; quotaId?: string; quotaValue?: string }[];
  }[];
}

/**
 * The real API's 400 that asks for another try ("Unable to process input image. Please retry or
 * report in …"): the image is not at fault yet.
 */
const RETRY_INPUT_IMAGE = /unable to process input image/i;

/**
 * A 429 whose quota is 0: the model is not in the account's tier (a free-tier key on a paid-only
 * model), so no wait helps. Gemini says so in the message ("…, limit: 0, model: …") and, in newer
 * answers, in a QuotaFailure violation's quotaValue.
 */
function quotaIsZero(body: GoogleError): boolean {
  if (/\blimit: 0(?![\d.])/.test(body.message ?? '')) return true;
  return (body.details ?? []).some(
    (detail) =>
      detail['@type']?.endsWith('google.rpc.QuotaFailure') &&
      (detail.violations ?? []).some((violation) => violation.quotaValue === '0'),
  );
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
 * - 400 "Unable to process input image. Please retry": retry; when the attempts run out, the row
 *   is marked failed (`Gemini could not process the image`), so a person can retry it later;
 * - a 429 whose quota limit is 0 (the model is not in the account's tier), 401, 403, 404, any other
 *   400 (INVALID_ARGUMENT: the request or its settings, since every image is sent as a plain JPEG
 *   within the inline limit; API_KEY_INVALID), 413, or FAILED_PRECONDITION (region, billing):
 *   AnnotatorConfigurationError, thrown without retrying in-process. It is no fault of the image,
 *   so the row is not marked failed; the event is kept (platform retries, then the DLQ) for a
 *   redrive once the configuration is fixed;
 * - any other 4xx: PermanentFailure, the row is marked failed;
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
    const configuration = (why: string): FailureVerdict => ({
      retry: false,
      error: new AnnotatorConfigurationError(`Gemini refused the request (${label}${why}): ${detail}`, {
        cause: error,
      }),
    });
    if (error.status === 429 && quotaIsZero(body)) {
      return configuration(', quota limit 0: the model is not available to this account');
    }
    if (error.status === 400 && RETRY_INPUT_IMAGE.test(body.message ?? '')) {
      return {
        retry: true,
        reason: `Gemini answered ${label}: ${detail}`,
        whenExhausted: PermanentFailure.of(problems.imageNotProcessed(`${label}: ${detail}`), {
          cause: error,
        }),
      };
    }
    if (RETRYABLE_STATUS.has(error.status)) {
      const retryInfo = body.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
      const hintMs = parseDuration(retryInfo?.retryDelay) ?? parseRetryAfter(context.retryAfter);
      return {
        retry: true,
        reason: `Gemini answered ${label}: ${detail}`,
        ...(hintMs === undefined ? {} : { hintMs }),
      };
    }
    if ([400, 401, 403, 404, 413].includes(error.status) || body.status === 'FAILED_PRECONDITION') {
      return configuration('');
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
