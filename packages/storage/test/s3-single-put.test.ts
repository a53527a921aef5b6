import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startS3Server, type TestS3Server } from '@annot/testing';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/index.ts';
import { DeadlineRetryStrategy } from '../src/s3/deadline-retry.ts';
import { SinglePut } from '../src/s3/single-put.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const BUCKET = 'single-put';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/**
 * A loopback HTTP server standing in for S3 where s3rver cannot show what was sent (it does not
 * check V4 signatures) or cannot fail on demand: it records each request with its body and
 * answers with the next scripted answer (200 with an ETag once the script is used up).
 */
async function startRecordingS3() {
  const received: Received[] = [];
  const script: ((response: ServerResponse) => void)[] = [];
  let arrived: (() => void) | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      arrived?.();
      const answer = script.shift();
      if (answer) answer(response);
      else response.writeHead(200, { etag: '"abc123"' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    script,
    /** Resolves when the next request has arrived whole. */
    nextArrival: () => new Promise<void>((resolve) => (arrived = resolve)),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const errorAnswer = (status: number, code: string) => (response: ServerResponse) =>
  response
    .writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ1' })
    .end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`,
    );

type S3Error = Error & { $metadata: Record<string, unknown>; $fault: string };

/** The error a promise rejects with (a put that succeeded fails the test). */
async function rejection(promise: Promise<unknown>): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    return error as S3Error;
  }
  throw new Error('expected the put to fail');
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const hmac = (key: Uint8Array | string, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * An independent check of a SigV4 Authorization header (AWS's "Signature Calculations for the
 * Authorization Header" description, node:crypto only), on the request as the server received it.
 */
function verifyAuthorization(request: Received, secret: string): boolean {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(request.headers.authorization),
    );
  if (!match) return false;
  const [, , day, region, service, signedHeaders, signature] = match as unknown as string[];
  const names = signedHeaders!.split(';');
  const [path, query = ''] = request.url.split('?');
  const canonical = [
    request.method,
    path,
    query,
    ...names.map((name) => `${name}:${String(request.headers[name]).trim()}`),
    '',
    signedHeaders,
    String(request.headers['x-amz-content-sha256']),
  ].join('\n');
  const amzDate = String(request.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical).toString('hex')].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, day!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex') === signature;
}

describe('SinglePut: one signed PutObject request', () => {
  let s3: Awaited<ReturnType<typeof startRecordingS3>>;
  let client: S3Client;
  const TIMEOUT_MS = 2000;

  beforeAll(async () => {
    s3 = await startRecordingS3();
    client = new S3Client({
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      retryStrategy: new DeadlineRetryStrategy(TIMEOUT_MS),
    });
  });
  afterEach(() => {
    s3.received.length = 0;
    s3.script.length = 0;
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });

  it('sends the body with its SHA-256 as payload hash and checksum, signed as SigV4 requires', async () => {
    const body = Buffer.from('the bytes of an image');
    const put = new SinglePut(client, BUCKET, TIMEOUT_MS);
    const { etag } = await put.put({
      key: 'uploads/a b/ü.jpg',
      body,
      contentType: 'image/jpeg',
      cacheControl: 'max-age=60',
    });
    expect(etag).toBe('"abc123"');
    expect(s3.received).toHaveLength(1);
    const [request] = s3.received as [Received];
    expect(request.method).toBe('PUT');
    expect(request.url).toBe(`/${BUCKET}/uploads/a%20b/%C3%BC.jpg`);
    expect(request.body.equals(body)).toBe(true);
    expect(request.headers['content-type']).toBe('image/jpeg');
    expect(request.headers['cache-control']).toBe('max-age=60');
    expect(request.headers['x-amz-content-sha256']).toBe(sha256(body).toString('hex'));
    expect(request.headers['x-amz-checksum-sha256']).toBe(sha256(body).toString('base64'));
    expect(verifyAuthorization(request, CREDENTIALS.secretAccessKey)).toBe(true);
    expect(verifyAuthorization(request, 'another secret')).toBe(false);
  });

  it("uses the caller's SHA-256 instead of hashing the body again", async () => {
    const body = Buffer.from('hashed by the caller');
    const given = sha256(body);
    await new SinglePut(client, BUCKET, TIMEOUT_MS).put({ key: 'uploads/given.bin', body, sha256: given });
    const [request] = s3.received as [Received];
    expect(request.headers['x-amz-content-sha256']).toBe(given.toString('hex'));
    expect(request.headers['x-amz-checksum-sha256']).toBe(given.toString('base64'));
    expect(verifyAuthorization(request, CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('signs with temporary credentials: the session token is sent and signed', async () => {
    const temporary = new S3Client({
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { ...CREDENTIALS, sessionToken: 'TOKEN/with+odd=chars' },
      retryStrategy: new DeadlineRetryStrategy(TIMEOUT_MS),
    });
    await new SinglePut(temporary, BUCKET, TIMEOUT_MS).put({
      key: 'uploads/temp.bin',
      body: Buffer.from('t'),
    });
    temporary.destroy();
    const [request] = s3.received as [Received];
    expect(request.headers['x-amz-security-token']).toBe('TOKEN/with+odd=chars');
    expect(String(request.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    expect(verifyAuthorization(request, CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('retries throttling (503 SlowDown) and stores on the next attempt', async () => {
    s3.script.push(errorAnswer(503, 'SlowDown'));
    await new SinglePut(client, BUCKET, TIMEOUT_MS).put({ key: 'uploads/slow.bin', body: Buffer.from('x') });
    expect(s3.received).toHaveLength(2);
    expect(verifyAuthorization(s3.received[1]!, CREDENTIALS.secretAccessKey)).toBe(true);
  });

  it('throws S3 refusals as the SDK does, without retrying them', async () => {
    s3.script.push(errorAnswer(403, 'AccessDenied'));
    const error = await rejection(
      new SinglePut(client, BUCKET, TIMEOUT_MS).put({ key: 'uploads/denied.bin', body: Buffer.from('x') }),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe('AccessDenied here');
    expect(error.$fault).toBe('client');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403, requestId: 'REQ1', attempts: 1 });
    expect(s3.received).toHaveLength(1);
  });

  it('gives up on server errors after the retry strategy’s three attempts, with the status', async () => {
    for (let i = 0; i < 3; i++) s3.script.push(errorAnswer(500, 'InternalError'));
    const error = await rejection(
      new SinglePut(client, BUCKET, TIMEOUT_MS).put({ key: 'uploads/broken.bin', body: Buffer.from('x') }),
    );
    expect(error.name).toBe('InternalError');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 });
    expect(s3.received).toHaveLength(3);
  });

  it('fails an attempt that gets no answer within the timeout with a TimeoutError, not retried', async () => {
    // The answer never comes. The timeout is also the retry budget, as createS3Client sets them.
    s3.script.push(() => {});
    const quick = new S3Client({
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      retryStrategy: new DeadlineRetryStrategy(300),
    });
    const error = await rejection(
      new SinglePut(quick, BUCKET, 300).put({ key: 'uploads/frozen.bin', body: Buffer.from('x') }),
    );
    expect(error.name).toBe('TimeoutError');
    expect(error.$metadata).toMatchObject({ attempts: 1 });
    expect(s3.received).toHaveLength(1);
    quick.destroy();
  });

  it('fails an attempt whose answer stalls half-way with a TimeoutError', async () => {
    // An error answer whose body never ends.
    s3.script.push((response) => {
      response.writeHead(500, { 'content-type': 'application/xml' });
      response.write('<?xml version="1.0" encoding="UTF-8"?><Error><Code>Internal');
    });
    const quick = new S3Client({
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      retryStrategy: new DeadlineRetryStrategy(300),
    });
    const error = await rejection(
      new SinglePut(quick, BUCKET, 300).put({ key: 'uploads/stalled.bin', body: Buffer.from('x') }),
    );
    expect(error.name).toBe('TimeoutError');
    expect(error.$metadata).toMatchObject({ attempts: 1 });
    quick.destroy();
  });

  it("stops at the caller's abort, with its reason", async () => {
    s3.script.push(() => {});
    const controller = new AbortController();
    const arrived = s3.nextArrival();
    const put = new SinglePut(client, BUCKET, TIMEOUT_MS).put({
      key: 'uploads/aborted.bin',
      body: Buffer.from('x'),
      signal: controller.signal,
    });
    await arrived;
    const reason = new Error('the client went away');
    controller.abort(reason);
    await expect(put).rejects.toBe(reason);
  });
});

describe('S3ObjectStore puts through SinglePut, against s3rver', () => {
  let server: TestS3Server;
  let client: S3Client;
  beforeAll(async () => {
    server = await startS3Server([BUCKET]);
    client = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it("stores a buffer, and a small stream with the caller's hash, byte for byte with their content type", async () => {
    const store = new S3ObjectStore({
      client,
      bucket: BUCKET,
      presign: { expiresSeconds: 900, cacheSeconds: 0 },
    });
    const bytes = createHash('sha512').update('image').digest();
    await store.put('uploads/1/a.jpg', bytes, { contentType: 'image/jpeg' });
    const { Readable } = await import('node:stream');
    await store.put('uploads/2/b.png', Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]), {
      contentType: 'image/png',
      sha256: () => sha256(bytes),
    });
    for (const [key, type] of [
      ['uploads/1/a.jpg', 'image/jpeg'],
      ['uploads/2/b.png', 'image/png'],
    ] as const) {
      expect(Buffer.from(await store.getBytes(key)).equals(bytes)).toBe(true);
      expect(await store.head(key)).toMatchObject({ size: bytes.byteLength, contentType: type });
    }
  });
});
