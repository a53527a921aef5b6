/**
 * Which failures mean "a dependency is not answering" (a 503 with Retry-After: the request may
 * succeed later, unchanged) rather than a bug (a 500). The repository wraps driver errors in a
 * DatabaseError and storage passes the SDK's errors on, so the whole `cause` chain is looked at.
 */

/** What a 503 tells the client to wait before trying again, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** What a 503 says (never which dependency: a 5xx names no internals). */
export const UNAVAILABLE_MESSAGE = 'The service is unavailable; try again shortly.';

/**
 * A request that arrived after the server began to shut down: a 503 with Retry-After, so the
 * client (or the ALB) sends it again, to this instance's successor. An upload is refused before
 * any of its body is read, so nothing of it is stored. The one owner of what such a 503 says.
 */
export class ShuttingDownError extends Error {
  override readonly name = 'ShuttingDownError';
  readonly statusCode = 503;
  constructor(what: 'upload' | 'request') {
    super(
      what === 'upload'
        ? 'The server is shutting down; upload again shortly'
        : 'The server is shutting down; try again shortly',
    );
  }
}

/** Socket-level failures, from Node (mysql2 and the S3 SDK's HTTP handler alike). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * mysql2's: the connection was lost, or a statement ran out of time (also the code of the
 * repository's own StatementTimeoutError); the server refused a connection because it has too
 * many, is shutting down, or is read-only during a failover; and InnoDB's lock conflicts that
 * outlasted the repository's retries.
 */
const MYSQL_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);

/** SQLite's "busy" and "locked": another connection held the lock for longer than the busy timeout. */
const SQLITE_BUSY_CODES = new Set([5, 6]);

interface ErrorDetails {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly errcode?: unknown;
  readonly cause?: unknown;
  /** The AWS SDK's response metadata on a service error. */
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function isUnavailableHere(error: ErrorDetails): boolean {
  // A retry the event bus did not take (request-stage.ts): it may be taken later.
  if (error.name === 'StageRequestError') return (error as { retryable?: unknown }).retryable === true;
  if (typeof error.code === 'string' && (NETWORK_CODES.has(error.code) || MYSQL_CODES.has(error.code))) {
    return true;
  }
  if (error.code === 'ERR_SQLITE_ERROR' && SQLITE_BUSY_CODES.has(error.errcode as number)) return true;
  // The S3 SDK's request timeouts (connect, request, socket idle).
  if (error.name === 'TimeoutError') return true;
  // An S3 answer of 500 or 503 (InternalError, SlowDown, ServiceUnavailable) after the SDK's retries.
  const status = error.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** True when `error`, or an error it was caused by, says a dependency did not answer. */
export function isUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (isUnavailableHere(current as ErrorDetails)) return true;
    current = (current as ErrorDetails).cause;
  }
  return false;
}
