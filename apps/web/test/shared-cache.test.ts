/**
 * The shared gallery cache (REDIS_URL) against the real Redis at 127.0.0.1:6379: two web processes
 * (the production entry, apps/web/src/main.ts) on one SQLite file and one blob directory, with a
 * gallery cache far longer than the test. An upload to one shows on the other's next render.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImageRepository } from '@annot/db';
import { CachedUrlPresigner } from '@annot/storage';
import { distinctCopy, fixturePath, type ServerProcess, startServer, startTcpProxy } from '@annot/testing';
import { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSharedCache, type SharedCache, sharedUrlCache } from '../src/shared-cache.ts';
import { buildTestApp, multipart, postUpload, type TestApp, withMethod } from './helper.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    if (process.env.CI) {
      throw new Error(`Redis is required when CI is set, but ${REDIS_URL} does not answer: ${String(error)}`);
    }
    console.warn(`SKIPPING Redis tests: ${REDIS_URL} does not answer (${String(error)})`);
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisAvailable();

/** Every key this run wrote, so the shared Redis is left as it was. */
async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function pageKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return await redis.keys(`${prefix}gallery:page:*`);
  } finally {
    redis.disconnect();
  }
}

async function upload(server: ServerProcess, filename: string): Promise<number> {
  const body = multipart([{ filename, content: distinctCopy(jpeg, filename), contentType: 'image/jpeg' }]);
  const response = await fetch(`${server.url}/upload`, {
    method: 'POST',
    headers: { ...body.headers, accept: 'application/json' },
    body: new Uint8Array(body.payload),
  });
  expect(response.status).toBe(201);
  const json = (await response.json()) as { images: { id: number }[] };
  return json.images[0]!.id;
}

const gallery = async (server: ServerProcess, query = '') => {
  const response = await fetch(`${server.url}/gallery${query}`);
  expect(response.status).toBe(200);
  return response.text();
};

describe.runIf(available)('two web processes sharing the gallery cache in Redis', () => {
  const prefix = `test:${randomUUID()}:`;
  let dataDir: string;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-shared-cache-'));
    const env = {
      DATA_DIR: dataDir,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      // Far longer than the test: only the shared invalidation can show a new upload.
      GALLERY_CACHE_MS: '600000',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_MS: '0',
    };
    // One after the other: the first creates the SQLite schema.
    a = await startServer({ entry: 'apps/web/src/main.ts', env });
    b = await startServer({ entry: 'apps/web/src/main.ts', env });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await dropKeys(prefix);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('an upload to one shows on the other’s next gallery render', async () => {
    await upload(a, 'first-upload.jpg');
    // B renders the first page and stores it in Redis; A is then served B's rendering.
    const before = await gallery(b);
    expect(before).toContain('first-upload.jpg');
    expect(await pageKeys(prefix)).toHaveLength(1);
    expect(await gallery(a)).toBe(before);

    await upload(a, 'second-upload.jpg');

    const after = await gallery(b);
    expect(after).toContain('second-upload.jpg');
    expect(after).toContain('first-upload.jpg');
    expect(await gallery(a)).toBe(after);
  });

  it('a delete on one is gone from the other’s next render, filtered pages included', async () => {
    // The uploading browser: its cookie allows it to delete what it uploaded.
    const body = multipart([
      { filename: 'mine.jpg', content: distinctCopy(jpeg, 'mine.jpg'), contentType: 'image/jpeg' },
    ]);
    const uploaded = await fetch(`${b.url}/upload`, {
      method: 'POST',
      headers: { ...body.headers, accept: 'application/json', origin: b.url },
      body: new Uint8Array(body.payload),
    });
    expect(uploaded.status).toBe(201);
    const cookie = uploaded.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^annot_uploader=/);
    const id = ((await uploaded.json()) as { images: { id: number }[] }).images[0]!.id;
    expect(await gallery(a, '?status=pending')).toContain('mine.jpg');
    expect(await gallery(a)).toContain('mine.jpg');

    const deleted = await fetch(`${b.url}/api/images/${id}`, {
      method: 'DELETE',
      headers: { cookie: cookie!, origin: b.url },
    });
    expect(deleted.status).toBe(204);
    expect(await gallery(a, '?status=pending')).not.toContain('mine.jpg');
    expect(await gallery(a)).not.toContain('mine.jpg');
  });
});

describe.runIf(available)('a Redis outage', () => {
  const prefix = `test:${randomUUID()}:`;
  let t: TestApp;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  /** The gallery's database reads: one per render. */
  let listPages = 0;
  const countListPage = (repository: ImageRepository): ImageRepository =>
    withMethod(repository, 'listPage', async (...args) => {
      listPages++;
      return repository.listPage(...args);
    });

  beforeAll(async () => {
    const target = new URL(REDIS_URL);
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    t = await buildTestApp(
      {
        REDIS_URL: `redis://${proxy.host}:${proxy.port}`,
        REDIS_KEY_PREFIX: prefix,
        GALLERY_CACHE_MS: '600000',
        REDIS_COMMAND_TIMEOUT_MS: '200',
      },
      {},
      { wrapRepository: countListPage },
    );
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await dropKeys(prefix);
  });

  it('serves the gallery and accepts uploads while Redis is down or frozen, and shares again after', async () => {
    expect((await t.app.inject({ url: '/gallery' })).statusCode).toBe(200);
    expect(await pageKeys(prefix)).toHaveLength(1);

    await proxy.refuse();
    expect((await postUpload(t.app, [{ filename: 'while-down.jpg', content: jpeg }])).statusCode).toBe(201);
    const down = await t.app.inject({ url: '/gallery' });
    expect(down.statusCode).toBe(200);
    expect(down.body).toContain('while-down.jpg');

    await proxy.restore();
    await proxy.freeze();
    // A partition: each command gives up after REDIS_COMMAND_TIMEOUT_MS, the page renders anyway.
    const frozen = await t.app.inject({ url: '/gallery' });
    expect(frozen.statusCode).toBe(200);
    expect(frozen.body).toContain('while-down.jpg');
    await proxy.restore();
  });

  it('during an outage each page renders once per process, and an upload there shows at once', async () => {
    await proxy.refuse();
    try {
      // A filter no other test asks for: nothing of it is held from an earlier outage.
      const before = listPages;
      const first = await t.app.inject({ url: '/gallery?status=completed' });
      expect(first.statusCode).toBe(200);
      expect((await t.app.inject({ url: '/gallery?status=completed' })).body).toBe(first.body);
      const cards = await t.app.inject({ url: '/gallery/cards?status=completed' });
      expect(cards.statusCode).toBe(200);
      expect((await t.app.inject({ url: '/gallery/cards?status=completed' })).body).toBe(cards.body);
      // One render for the page, one for the cards: not one per request.
      expect(listPages - before).toBe(2);

      const uploaded = await postUpload(t.app, [
        { filename: 'outage-upload.jpg', content: distinctCopy(jpeg, 'outage-upload.jpg') },
      ]);
      expect(uploaded.statusCode).toBe(201);
      // The upload forgot this process's first pages: they render again, with it.
      expect((await t.app.inject({ url: '/gallery' })).body).toContain('outage-upload.jpg');
      expect((await t.app.inject({ url: '/gallery/cards' })).body).toContain('outage-upload.jpg');
      expect(listPages - before).toBe(4);
    } finally {
      await proxy.restore();
    }
  });
});

describe.runIf(available)('presigned URLs shared through Redis', () => {
  const prefix = `test:${randomUUID()}:`;
  const silent = { warn() {}, info() {}, error() {} };
  let caches: SharedCache[] = [];
  // Signing needs no server: the client points at AWS but never sends a request.
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
  });
  const clock = {
    t: Date.parse('2026-06-01T12:00:00Z'),
    now() {
      return this.t;
    },
  };

  /** One process's presigner, with its own connection to the shared cache. */
  async function processPresigner(url = REDIS_URL) {
    const cache = await connectSharedCache(
      { url, authTokenSecretArn: undefined, keyPrefix: prefix, commandTimeoutMs: 250, connectTimeoutMs: 500 },
      silent,
    );
    caches.push(cache);
    return new CachedUrlPresigner(client, 'annot-thumbnails', {
      expiresSeconds: 3600,
      cacheSeconds: 300,
      clock,
      sharedCache: sharedUrlCache(cache),
    });
  }

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    caches = [];
    await dropKeys(prefix);
  });

  it('a URL one process signed is the one every other process hands out', async () => {
    const a = await processPresigner();
    const b = await processPresigner();
    const key = 'thumbnails/1/shared.jpg';
    const fromA = await a.urlFor(key);
    // Later, on another process: the same URL, not a new signature with a new date.
    clock.t += 10_000;
    await new Promise<void>((resolve) => setImmediate(resolve));
    const fromB = await waitForShared(b, `${prefix}presigned:annot-thumbnails/${key}`, key);
    expect(fromB).toBe(fromA);
    expect(b.stats().signed).toBe(0);
    expect(b.sharedHits).toBe(1);
    // B keeps it in its own cache now: no second round trip.
    expect(await b.urlFor(key)).toBe(fromA);
    expect(b.stats().cacheHits).toBe(1);
  });

  it('a process whose Redis is down signs its own URL', async () => {
    const down = await processPresigner('redis://127.0.0.1:1');
    const url = await down.urlFor('thumbnails/2/alone.jpg');
    expect(url).toContain('X-Amz-Signature=');
    expect(down.stats().signed).toBe(1);
    expect(down.sharedHits).toBe(0);
  });
});

/**
 * The first process stores its URL without waiting (the request does not wait on the cache):
 * read until it is there, by polling Redis, not the clock.
 */
async function waitForShared(presigner: CachedUrlPresigner, redisKey: string, key: string): Promise<string> {
  const redis = new Redis(REDIS_URL);
  try {
    for (let i = 0; i < 100; i++) {
      if ((await redis.exists(redisKey)) === 1) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    redis.disconnect();
  }
  return presigner.urlFor(key);
}
