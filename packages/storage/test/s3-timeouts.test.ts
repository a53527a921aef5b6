import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { failureOf, startS3Server, startTcpProxy, type TcpProxy, type TestS3Server } from '@annot/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type Storage } from '../src/index.ts';
import { generatedStream } from './helpers/streams.ts';

const MiB = 1024 * 1024;
const TIMEOUT_MS = 1000;

/** `size` bytes, sent a chunk every `everyMs`: a slow client, but never silent for long. */
function tricklingStream(size: number, chunk: number, everyMs: number): Readable {
  let left = size;
  return Readable.from(
    (async function* () {
      while (left > 0) {
        await sleep(everyMs);
        const n = Math.min(chunk, left);
        left -= n;
        yield Buffer.alloc(n, 7);
      }
    })(),
  );
}

describe('S3 requests against a server that stops answering', () => {
  let server: TestS3Server;
  let proxy: TcpProxy;
  let storage: Storage;
  beforeAll(async () => {
    server = await startS3Server(['timeouts-originals', 'timeouts-thumbnails']);
    proxy = await startTcpProxy({
      targetHost: '127.0.0.1',
      targetPort: Number(new URL(server.endpoint).port),
    });
    const config = loadConfig({
      ...server.env({ originals: 'timeouts-originals', thumbnails: 'timeouts-thumbnails' }),
      S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      S3_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    storage = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: server.credentials },
    });
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('frozen: a read and a put fail with a timeout, not retried, and work again once it is back', async () => {
    await storage.originals.put('uploads/before/a.bin', Buffer.from('before'));
    await proxy.drop();

    const head = await failureOf(storage.originals.head('uploads/before/a.bin'));
    const put = await failureOf(storage.originals.put('uploads/frozen/b.bin', Buffer.from('frozen')));
    for (const error of [head, put]) {
      // The request's own timeout ended it (a TimeoutError, the SDK's name for it), after one attempt.
      expect(error.name).toBe('TimeoutError');
      expect((error as Error & { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(1);
    }
    expect(put.message).toBe(`S3 did not answer within ${TIMEOUT_MS} ms`);

    await proxy.restore();
    expect(await storage.originals.head('uploads/before/a.bin')).toMatchObject({ size: 6 });
  });

  it('frozen during a streamed multipart put: the put fails with a timeout and stores nothing', async () => {
    const key = 'uploads/frozen/large.bin';
    const body = generatedStream(12 * MiB).stream;
    let sent = 0;
    body.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      // Freeze once the first part is on its way.
      if (sent > 6 * MiB) void proxy.drop();
    });
    const error = await failureOf(storage.originals.put(key, body));
    // The part's own timeout (then the abort of the multipart upload, which times out too).
    expect(error.name).toBe('TimeoutError');

    await proxy.restore();
    expect(await storage.originals.head(key)).toBeNull();
  });

  it('frozen: a delete (a listing, then DeleteObjects) fails after one timeout, naming the key; a dependency failure by its cause', async () => {
    await storage.originals.put('uploads/frozen-delete/c.bin', Buffer.from('delete me'));
    await proxy.drop();

    const error = await failureOf(storage.originals.delete('uploads/frozen-delete/c.bin'));
    expect(error.message).toBe(
      'Could not delete every version of "uploads/frozen-delete/c.bin" in timeouts-originals',
    );
    const cause = error.cause as Error & { $metadata?: { attempts?: number } };
    expect(cause.name).toBe('TimeoutError');
    expect(cause.$metadata?.attempts).toBe(1);

    await proxy.restore();
    await storage.originals.delete('uploads/frozen-delete/c.bin');
    expect(await storage.originals.head('uploads/frozen-delete/c.bin')).toBeNull();
  });

  it('refused: fails at once, and works again once it is back', async () => {
    await proxy.refuse();
    const error = await failureOf(storage.originals.head('uploads/before/a.bin'));
    // Refused (not a timeout): the SDK does not wait out S3_REQUEST_TIMEOUT_MS for it.
    expect((error as Error & { code?: string }).code).toBe('ECONNREFUSED');

    await proxy.restore();
    expect(await storage.originals.head('uploads/before/a.bin')).toMatchObject({ size: 6 });
  });

  it('bounds each request, not the upload: a 12 MiB body trickling in over four timeouts is stored', {
    timeout: 20_000,
  }, async () => {
    const key = 'uploads/slow/large.bin';
    const started = performance.now();
    // 12 MiB in 128 KiB chunks, one every 40 ms: about 4 s, four times the timeout.
    const stored = await storage.originals.put(key, tricklingStream(12 * MiB, 128 * 1024, 40));
    expect(performance.now() - started).toBeGreaterThan(3 * TIMEOUT_MS);
    expect(stored.size).toBe(12 * MiB);
    expect(await storage.originals.head(key)).toMatchObject({ size: 12 * MiB });
  });
});
