import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  isUnavailable,
  RETRY_AFTER_SECONDS,
  ShuttingDownError,
  UNAVAILABLE_MESSAGE,
} from '../unavailable.ts';
import { wantsHtml } from './negotiate.ts';

interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly requestId?: string;
}

/** Errors from other packages that are the client's fault, by name, with their status and code. */
const CLIENT_ERRORS: Readonly<Record<string, { status: number; code: string }>> = {
  InvalidCursorError: { status: 400, code: 'invalid_cursor' },
  InvalidSearchError: { status: 400, code: 'invalid_search' },
  InvalidFilterError: { status: 400, code: 'invalid_filter' },
};

const REASONS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** Sends an error as JSON, or as the HTML error page for a browser. */
async function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: ErrorBody,
): Promise<unknown> {
  reply.code(status);
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  if (wantsHtml(request)) {
    return reply.viewAsync('error', {
      title: titleFor(status),
      status,
      message: body.message,
      requestId: body.requestId,
    });
  }
  return reply.send(body);
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Something went wrong';
  return 'Request refused';
}

/**
 * The one error handler: a 4xx says what was wrong; a 5xx says only that it failed (with the
 * request id to quote) and is logged in full with the request id. A dependency that did not
 * answer (see unavailable.ts) is a 503 with Retry-After, logged as a warning: the request may
 * succeed later; anything else unexpected is a 500. A request that arrived during a shutdown
 * (ShuttingDownError) is a 503 with Retry-After and the shutdown's own message.
 */
export async function setupErrors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof ShuttingDownError) {
      request.log.info({ method: request.method, url: request.url }, 'request refused: shutting down');
      return sendError(request, reply, 503, { error: 'unavailable', message: error.message });
    }
    const known = CLIENT_ERRORS[error.name];
    const unavailable = !known && !error.validation && isUnavailable(error);
    let status = unavailable ? 503 : (known?.status ?? (error.validation ? 400 : (error.statusCode ?? 500)));
    if (status < 400 || status > 599) status = 500;

    if (status >= 500) {
      if (unavailable) request.log.warn({ err: error }, 'request failed: a dependency is not answering');
      else request.log.error({ err: error }, 'request failed');
      const body: ErrorBody = {
        error: status === 503 ? 'unavailable' : 'internal_error',
        message: status === 503 ? UNAVAILABLE_MESSAGE : 'Internal server error',
        requestId: request.id,
      };
      return sendError(request, reply, status, body);
    }
    request.log.info({ status, code: error.code, message: error.message }, 'request refused');
    const code = known?.code ?? (error.validation ? 'invalid_request' : (REASONS[status] ?? 'bad_request'));
    const message = error.validation ? validationMessage(error) : error.message;
    return sendError(request, reply, status, { error: code, message });
  });

  app.setNotFoundHandler(async (request, reply) => {
    return sendError(request, reply, 404, {
      error: 'not_found',
      message: `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`,
    });
  });
}

interface ValidationIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly params?: { readonly allowedValues?: readonly unknown[]; readonly additionalProperty?: string };
  readonly message?: string;
}

/**
 * A schema refusal in plain words: the field by name and what it may be ("stage must be one of
 * "thumbnail", "annotation""), rather than the validator's "body/stage must be equal to one of
 * the allowed values".
 */
function validationMessage(error: {
  validation?: unknown;
  validationContext?: string;
  message: string;
}): string {
  const [issue] = (error.validation ?? []) as readonly ValidationIssue[];
  if (!issue) return error.message;
  const field = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const where = field || (error.validationContext === 'body' ? 'the request body' : 'the request');
  const allowed = issue.params?.allowedValues;
  if (issue.keyword === 'enum' && allowed) {
    return `${where} must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  if (issue.keyword === 'additionalProperties' && issue.params?.additionalProperty) {
    return `${where} has an unknown field ${JSON.stringify(issue.params.additionalProperty)}`;
  }
  return issue.message ? `${where} ${issue.message}` : error.message;
}
