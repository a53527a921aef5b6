import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import type { SignatureV4 } from '@smithy/signature-v4';
import { encodeKeyForUrl } from '../keys.ts';
import { type BucketEndpoint, bucketSigner, resolveBucketEndpoint } from './endpoint.ts';

export interface SinglePutInput {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  /**
   * The body's SHA-256, when the caller already computed it: it signs the request and is sent as
   * its checksum (x-amz-checksum-sha256), so S3 refuses bytes that differ from what was hashed.
   * Without it, the body is hashed here.
   */
  readonly sha256?: Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** An S3 request attempt that took longer than S3_REQUEST_TIMEOUT_MS (named as the SDK names its own). */
export class S3RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`S3 did not answer within ${timeoutMs} ms`);
  }
}

type AnyRetryStrategy = Awaited<ReturnType<S3Client['config']['retryStrategy']>>;
/** The token-based strategy (DeadlineRetryStrategy, the SDK's standard one). */
type RetryStrategy = Extract<AnyRetryStrategy, { acquireInitialRetryToken: unknown }>;
type RetryErrorInfo = Parameters<RetryStrategy['refreshRetryTokenForRetry']>[1];
type ErrorType = 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';

/** Socket failures the SDK also counts as transient (retried within the retry strategy's budget). */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);
/** S3's throttling answers. */
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestThrottled']);

/**
 * PutObject of a body held in memory (a file that fits in one part, which is most uploads) as one
 * signed HTTP request, without the SDK's per-request middleware stack.
 *
 * Why: for an 83 KiB upload the SDK's `send(new PutObjectCommand(...))` cost about 1.4 ms of CPU
 * (BENCHMARKS.md, "Uploads"): serialising through its schema, resolving the endpoint rules again,
 * a CRC32 and a SHA-256 of the body, and its middleware chain, against ~0.3 ms for the request
 * itself. Here the endpoint is resolved once per bucket through the client's own rules (as the
 * presigner does, endpoint.ts), the request is signed by the SDK's own SignatureV4 (built once per
 * bucket, with the client's credential provider; about 0.05 ms per request, BENCHMARKS.md), and
 * sent on a keep-alive agent.
 *
 * What the SDK did is kept: the client's retry strategy decides retries (DeadlineRetryStrategy:
 * transient errors and throttling, three attempts, never after an attempt that timed out);
 * each attempt is bounded by `timeoutMs` (S3_REQUEST_TIMEOUT_MS) and fails with a `TimeoutError`;
 * an S3 error answer is thrown as the SDK's S3ServiceException (its code as `name`,
 * `$metadata.httpStatusCode`); `$metadata.attempts` counts the attempts. Not kept: the SDK's
 * clock-skew correction (a host's clock more than 15 minutes off fails with RequestTimeTooSkewed;
 * EC2 keeps time with NTP).
 */
export class SinglePut {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #timeoutMs: number;
  #setup: Promise<Setup> | undefined;

  constructor(client: S3Client, bucket: string, timeoutMs: number) {
    this.#client = client;
    this.#bucket = bucket;
    this.#timeoutMs = timeoutMs;
  }

  /** Stores the object; resolves with its ETag (as S3 gives it, quoted). */
  async put(input: SinglePutInput): Promise<{ etag: string | undefined }> {
    const { endpoint, agent, signer } = await this.#ready();
    const configured = await this.#client.config.retryStrategy();
    // A legacy strategy (middleware-shaped, not token-based) is not applied: one attempt.
    const strategy: RetryStrategy = 'acquireInitialRetryToken' in configured ? configured : SINGLE_ATTEMPT;
    const sha256 = input.sha256 ?? createHash('sha256').update(input.body).digest();
    const hex = Buffer.from(sha256.buffer, sha256.byteOffset, sha256.byteLength).toString('hex');
    const base64 = Buffer.from(sha256.buffer, sha256.byteOffset, sha256.byteLength).toString('base64');
    const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
    const path = `${endpoint.basePath}/${encodeKeyForUrl(input.key)}`;
    let token = await strategy.acquireInitialRetryToken(`${this.#bucket}`);
    let attempts = 0;
    let delays = 0;
    for (;;) {
      input.signal?.throwIfAborted();
      attempts++;
      try {
        const headers: Record<string, string> = {
          host,
          'content-length': String(input.body.byteLength),
          'x-amz-content-sha256': hex,
          'x-amz-checksum-sha256': base64,
        };
        if (input.contentType) headers['content-type'] = input.contentType;
        if (input.cacheControl) headers['cache-control'] = input.cacheControl;
        const signed = await signer.sign(
          new HttpRequest({
            method: 'PUT',
            protocol: endpoint.protocol,
            hostname: endpoint.hostname,
            path,
            headers,
          }),
        );
        const etag = await this.#send(endpoint, agent, path, signed.headers, input);
        strategy.recordSuccess(token);
        return { etag };
      } catch (error) {
        if (input.signal?.aborted) throw input.signal.reason;
        const errorType = classify(error);
        try {
          token = await strategy.refreshRetryTokenForRetry(token, {
            errorType,
            error: error as RetryErrorInfo['error'],
          });
        } catch {
          throw withAttempts(error, attempts, delays);
        }
        const delay = token.getRetryDelay();
        delays += delay;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #send(
    endpoint: BucketEndpoint,
    agent: http.Agent,
    path: string,
    headers: Record<string, string>,
    input: SinglePutInput,
  ): Promise<string | undefined> {
    const transport = endpoint.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request({
        agent,
        method: 'PUT',
        hostname: endpoint.hostname,
        ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
        path,
        headers,
        ...(input.signal ? { signal: input.signal } : {}),
      });
      // The whole attempt (connect, send, answer) within the timeout.
      const timer = setTimeout(
        () => request.destroy(new S3RequestTimeoutError(this.#timeoutMs)),
        this.#timeoutMs,
      );
      const fail = (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      };
      request.once('error', fail);
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          // An error document is small; a success has no body.
          if (length < 64 * 1024) chunks.push(chunk);
          length += chunk.length;
        });
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(timer);
          if (status >= 200 && status < 300) {
            resolve(headerValue(response.headers.etag));
          } else {
            reject(serviceError(status, Buffer.concat(chunks).toString('utf8'), response.headers));
          }
        });
      });
      request.end(input.body);
    });
  }

  #ready(): Promise<Setup> {
    this.#setup ??= resolveBucketEndpoint(this.#client, this.#bucket).then(
      (endpoint) => ({
        endpoint,
        signer: bucketSigner(this.#client, endpoint),
        // Kept-alive connections, as the SDK's handler keeps them (its default of 50 sockets).
        agent:
          endpoint.protocol === 'https:'
            ? new https.Agent({ keepAlive: true, maxSockets: 50 })
            : new http.Agent({ keepAlive: true, maxSockets: 50 }),
      }),
      (error: unknown) => {
        this.#setup = undefined; // retry on the next call
        throw error;
      },
    );
    return this.#setup;
  }
}

interface Setup {
  readonly endpoint: BucketEndpoint;
  readonly agent: http.Agent;
  readonly signer: SignatureV4;
}

const SINGLE_ATTEMPT: RetryStrategy = {
  acquireInitialRetryToken: async () => ({ getRetryCount: () => 0, getRetryDelay: () => 0 }),
  refreshRetryTokenForRetry: async (_token, info) => {
    throw info.error;
  },
  recordSuccess: () => {},
};

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function classify(error: unknown): ErrorType {
  const { name, code, $metadata } = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (name === 'TimeoutError') return 'TRANSIENT';
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return 'TRANSIENT';
  const status = $metadata?.httpStatusCode;
  if (status === 429 || (name !== undefined && THROTTLING_CODES.has(name))) return 'THROTTLING';
  if (status === 500 || status === 502 || status === 503 || status === 504) return 'TRANSIENT';
  if (status !== undefined && status >= 500) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}

/** S3's XML error answer as the SDK would throw it: the code as `name`, with the HTTP status. */
function serviceError(status: number, body: string, headers: http.IncomingHttpHeaders): S3ServiceException {
  const field = (tag: string) => body.match(new RegExp(`<${tag}>([^<]*)</${tag}>`))?.[1];
  const name = field('Code') ?? (status === 404 ? 'NotFound' : `Http${status}`);
  const requestId = headerValue(headers['x-amz-request-id']) ?? field('RequestId');
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message: field('Message') ?? `S3 answered ${status}`,
    $metadata: {
      httpStatusCode: status,
      ...(requestId ? { requestId } : {}),
      ...(headers['x-amz-id-2'] ? { extendedRequestId: headerValue(headers['x-amz-id-2']) } : {}),
    },
  });
}

/** The attempts made, on the error thrown, where the SDK puts them. */
function withAttempts(error: unknown, attempts: number, totalRetryDelay: number): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const target = error as { $metadata?: Record<string, unknown> };
  target.$metadata = { ...(target.$metadata ?? {}), attempts, totalRetryDelay };
  return error;
}
