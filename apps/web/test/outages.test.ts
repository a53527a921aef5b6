import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { type ImageRecord, type ImageRepository, openRepository } from '@annot/db';
import { createS3Client } from '@annot/storage';
import {
  createTestDatabase,
  distinctCopy,
  fixturePath,
  mariaDbAvailable,
  startS3Server,
  startTcpProxy,
  type TcpProxy,
} from '@annot/testing';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UNAVAILABLE_MESSAGE } from '../src/unavailable.ts';
import { describeEachBackend } from './helper.ts';
import {
  type RunningSystem,
  SLOW_UPLOAD_TAIL,
  type SlowUploadResult,
  slowUploadHead,
  startSlowUpload,
  startSystem,
} from './system.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

// Short timeouts keep the tests fast. The tests assert what the answer says (503 and why, 408 and
// why), never how long it took (benchmarks measure that); MARGIN_MS only bounds how long they wait
// for a recovery.
const DB_QUERY_TIMEOUT_MS = 1000;
const S3_REQUEST_TIMEOUT_MS = 1000;
const HEALTH_CHECK_TIMEOUT_MS = 800;
const UPLOAD_IDLE_TIMEOUT_MS = 700;
const UPLOAD_MAX_DURATION_MS = 5000;
const MARGIN_MS = 1000;

const SHORT_TIMEOUTS = {
  DB_QUERY_TIMEOUT_MS: String(DB_QUERY_TIMEOUT_MS),
  S3_REQUEST_TIMEOUT_MS: String(S3_REQUEST_TIMEOUT_MS),
  HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_CHECK_TIMEOUT_MS),
  UPLOAD_IDLE_TIMEOUT_MS: String(UPLOAD_IDLE_TIMEOUT_MS),
  UPLOAD_MAX_DURATION_MS: String(UPLOAD_MAX_DURATION_MS),
  // Every gallery request reads the database.
  GALLERY_CACHE_MS: '0',
};

/** A running system, and what it left behind, read around it (not through the proxies). */
interface Subject {
  readonly running: RunningSystem;
  /** Every row, the uploads in progress too. */
  rows(): Promise<ImageRecord[]>;
  /** Every object in the originals bucket. */
  objects(): Promise<string[]>;
  stop(): Promise<void>;
}

interface Outages {
  readonly database: TcpProxy;
  readonly storage: TcpProxy;
}

/** SQLite and a directory, as `pnpm dev` runs it. */
async function embedded(): Promise<Subject> {
  const running = await startSystem(SHORT_TIMEOUTS);
  const { repository } = running.system;
  const originals = path.join(running.dataDir, 'blobs', 'originals');
  return {
    running,
    rows: async () => (await repository.listPage({ limit: 100 })).images,
    async objects() {
      const entries = await readdir(originals, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    },
    async stop() {
      await running.system.close();
      await rm(running.dataDir, { recursive: true, force: true });
    },
  };
}

/** MariaDB and S3 (s3rver) as in AWS, each behind a proxy that can freeze or refuse it. */
async function aws(): Promise<Subject & Outages> {
  const db = await createTestDatabase('web_outages');
  const s3 = await startS3Server(['outage-originals', 'outage-thumbnails']);
  const dbUrl = new URL(db.url);
  const database = await startTcpProxy({
    targetHost: dbUrl.hostname,
    targetPort: Number(dbUrl.port || 3306),
  });
  const storage = await startTcpProxy({
    targetHost: '127.0.0.1',
    targetPort: Number(new URL(s3.endpoint).port),
  });
  // The system's S3 client takes its credentials from the environment, as in AWS.
  vi.stubEnv('AWS_ACCESS_KEY_ID', s3.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.credentials.secretAccessKey);
  dbUrl.host = `127.0.0.1:${database.port}`;
  const running = await startSystem({
    ...s3.env({ originals: 'outage-originals', thumbnails: 'outage-thumbnails' }),
    S3_ENDPOINT: `http://127.0.0.1:${storage.port}`,
    DATABASE_URL: dbUrl.toString(),
    DB_POOL_SIZE: '4',
    ...SHORT_TIMEOUTS,
  });
  const direct: ImageRepository = await openRepository({
    database: loadConfig({ DATABASE_URL: db.url }).database,
    migrate: false,
  });
  // Straight to s3rver, not through the proxy.
  const directS3 = loadConfig(
    s3.env({ originals: 'outage-originals', thumbnails: 'outage-thumbnails' }),
  ).storage;
  if (directS3.kind !== 's3') throw new Error('expected the S3 settings');
  const client = createS3Client(directS3, { credentials: s3.credentials });
  return {
    running,
    database,
    storage,
    rows: async () => (await direct.listPage({ limit: 100 })).images,
    async objects() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'outage-originals' }));
      return (listed.Contents ?? []).map((o) => o.Key!);
    },
    async stop() {
      await Promise.all([database.restore(), storage.restore()]);
      await running.system.close();
      await direct.close();
      client.destroy();
      await Promise.all([database.close(), storage.close()]);
      await s3.stop();
      await db.drop();
      await rm(running.dataDir, { recursive: true, force: true });
      vi.unstubAllEnvs();
    },
  };
}

/** A request's answer, with its body read. */
async function fetchText(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { response, body: await response.text() };
}

let uploads = 0;
function upload(base: string, ...filenames: string[]) {
  const form = new FormData();
  for (const filename of filenames) {
    // Distinct bytes every time: the same bytes twice would be one image.
    const content = distinctCopy(jpeg, `${filename} ${uploads++}`);
    form.append('image', new Blob([content], { type: 'image/jpeg' }), filename);
  }
  return fetchText(`${base}/upload`, { method: 'POST', body: form, headers: { accept: 'application/json' } });
}

/** Polls /ready until it answers 200, for at most `ms`; returns the last status. */
async function readyWithin(base: string, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let status = 0;
  do {
    status = (await fetch(`${base}/ready`)).status;
    if (status === 200) return status;
    await sleep(50);
  } while (performance.now() < deadline);
  return status;
}

describe.runIf(await mariaDbAvailable())(
  'outages of MariaDB and S3 (frozen or refused behind a proxy)',
  () => {
    let t: Subject & Outages;
    let base: string;
    beforeAll(async () => {
      t = await aws();
      base = t.running.url;
    });
    afterEach(async () => {
      await Promise.all([t.database.restore(), t.storage.restore()]);
    });
    afterAll(() => t?.stop());

    it('a frozen database: /gallery and the API answer 503 with Retry-After once the query times out; /health stays 200 while /ready is 503; all recover without a restart', async () => {
      expect((await upload(base, 'before.jpg')).response.status).toBe(201);
      await t.database.drop();

      const [gallery, api] = await Promise.all([
        fetchText(`${base}/gallery`, { headers: { accept: 'text/html' } }),
        fetchText(`${base}/api/images`),
      ]);
      for (const answer of [gallery, api]) {
        expect(answer.response.status).toBe(503);
        expect(answer.response.headers.get('retry-after')).toBe('5');
      }
      expect(gallery.body).toContain('Temporarily unavailable');
      expect(gallery.body).toContain(UNAVAILABLE_MESSAGE);
      expect(JSON.parse(api.body)).toEqual({
        error: 'unavailable',
        message: UNAVAILABLE_MESSAGE,
        requestId: expect.any(String),
      });

      const health = await fetchText(`${base}/health`);
      expect(health.response.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: 'ok', database: 'down', storage: 'up' });
      const ready = await fetchText(`${base}/ready`);
      expect(ready.response.status).toBe(503);
      expect(ready.response.headers.get('retry-after')).toBe('5');
      expect(JSON.parse(ready.body)).toEqual({ status: 'unavailable', database: 'down', storage: 'up' });

      await t.database.restore();
      expect(await readyWithin(base, 3 * DB_QUERY_TIMEOUT_MS + MARGIN_MS)).toBe(200);
      const after = await fetchText(`${base}/gallery`, { headers: { accept: 'text/html' } });
      expect(after.response.status).toBe(200);
      expect(after.body).toContain('before.jpg');
    });

    it('a database that refuses connections: requests answer 503 at once', async () => {
      await t.database.refuse();
      const api = await fetchText(`${base}/api/images`);
      expect(api.response.status).toBe(503);
      expect(JSON.parse(api.body)).toMatchObject({ error: 'unavailable', message: UNAVAILABLE_MESSAGE });
      expect((await fetchText(`${base}/health`)).response.status).toBe(200);
    });

    it('frozen storage: an upload of several files answers 503 with Retry-After once the first put times out, leaving no row and no object; /ready says so; all recover', async () => {
      const rowsBefore = (await t.rows()).length;
      const objectsBefore = (await t.objects()).length;
      await t.storage.drop();

      // Three files: the first one's failure answers for the request, without trying the others.
      const refused = await upload(base, 'frozen.jpg', 'second.jpg', 'third.jpg');
      expect(refused.response.status).toBe(503);
      expect(refused.response.headers.get('retry-after')).toBe('5');
      expect(JSON.parse(refused.body)).toMatchObject({
        error: 'unavailable',
        message: `"frozen.jpg" was not stored: ${UNAVAILABLE_MESSAGE}`,
      });
      const ready = await fetch(`${base}/ready`);
      expect([ready.status, await ready.json()]).toEqual([
        503,
        { status: 'unavailable', database: 'up', storage: 'down' },
      ]);
      expect((await fetch(`${base}/health`)).status).toBe(200);

      await t.storage.restore();
      expect((await t.rows()).length).toBe(rowsBefore);
      expect((await t.objects()).length).toBe(objectsBefore);
      expect(await readyWithin(base, 3 * S3_REQUEST_TIMEOUT_MS + MARGIN_MS)).toBe(200);
      expect((await upload(base, 'after.jpg')).response.status).toBe(201);
    });

    it('frozen storage: a large upload still being sent is answered once its put fails, not after the client has sent it all', async () => {
      const rowsBefore = (await t.rows()).length;
      await t.storage.drop();
      // 12 MiB at ~2 MiB/s: the first 5 MiB part goes to S3 after ~2.5 s and fails one timeout
      // later; the client would go on sending for ~6 s.
      const { request, response } = startSlowUpload(base, Buffer.concat([slowUploadHead('big.jpg'), jpeg]));
      const padding = Buffer.alloc(256 * 1024);
      let sent = jpeg.length;
      const pump = setInterval(() => {
        if (sent >= 12 * 1024 * 1024) {
          clearInterval(pump);
          request.end(SLOW_UPLOAD_TAIL);
          return;
        }
        sent += padding.length;
        request.write(padding);
      }, 125);
      const answer = await response;
      clearInterval(pump);
      request.destroy();

      expect(answer).toMatchObject({ status: 503 });
      // Answered while the client was still sending: what it had sent when the answer came.
      expect(sent).toBeLessThan(12 * 1024 * 1024);
      await t.storage.restore();
      // The withdrawal finishes in the background (after the abort of the multipart upload, which
      // waits out its own timeout): the row goes within a few timeouts.
      const deadline = performance.now() + 3 * S3_REQUEST_TIMEOUT_MS + MARGIN_MS;
      while ((await t.rows()).length !== rowsBefore && performance.now() < deadline) await sleep(100);
      expect((await t.rows()).length).toBe(rowsBefore);
    });
  },
);

describeEachBackend([
  { name: 'SQLite + directory', enabled: true, start: embedded },
  { name: 'MariaDB + S3', enabled: await mariaDbAvailable(), start: aws },
])('slow uploads on $name', ({ start }) => {
  let t: Subject;
  let base: string;
  beforeAll(async () => {
    t = await start();
    base = t.running.url;
  });
  afterAll(() => t?.stop());

  /** Waits until the upload's row exists (its bytes are then being received). */
  async function rowOf(filename: string): Promise<ImageRecord> {
    for (let i = 0; i < 100; i++) {
      const row = (await t.rows()).find((r) => r.filename === filename);
      if (row) return row;
      await sleep(10);
    }
    throw new Error(`the upload of ${filename} never reached the database`);
  }

  it('an upload still receiving its bytes is listed neither by /gallery nor by /api/images, until it is stored', async () => {
    const { request, response } = startSlowUpload(
      base,
      Buffer.concat([slowUploadHead('arriving.jpg'), jpeg.subarray(0, 16 * 1024)]),
    );
    // Slow, but never silent for UPLOAD_IDLE_TIMEOUT_MS: a byte every 100 ms.
    let sent = 16 * 1024;
    const trickle = setInterval(() => request.write(jpeg.subarray(sent, ++sent)), 100);
    const row = await rowOf('arriving.jpg');
    expect(row.byteSize).toBeNull();

    const listed = await (await fetch(`${base}/api/images`)).json();
    expect(listed.images.map((image: { id: number }) => image.id)).not.toContain(row.id);
    expect(await (await fetch(`${base}/gallery`)).text()).not.toContain('arriving.jpg');

    clearInterval(trickle);
    request.end(Buffer.concat([jpeg.subarray(sent), SLOW_UPLOAD_TAIL]));
    expect(await response).toMatchObject({ status: 201 });
    const after = await (await fetch(`${base}/api/images`)).json();
    expect(after.images.map((image: { id: number }) => image.id)).toContain(row.id);
    expect(await (await fetch(`${base}/gallery`)).text()).toContain('arriving.jpg');
  });

  it('a body trickling in at 1 byte/s is ended after UPLOAD_IDLE_TIMEOUT_MS with a 408, leaving no row and no object', async () => {
    const objectsBefore = await t.objects();
    const { request, response } = startSlowUpload(
      base,
      Buffer.concat([slowUploadHead('trickle.jpg'), jpeg.subarray(0, 16 * 1024)]),
    );
    await rowOf('trickle.jpg');
    let sent = 16 * 1024;
    const trickle = setInterval(() => {
      if (!request.destroyed) request.write(jpeg.subarray(sent, ++sent));
    }, 1000);
    const result: SlowUploadResult = await response;
    clearInterval(trickle);
    request.destroy();

    // Ended by the idle timeout (the message says which limit), not by the client.
    expect(result).toMatchObject({ status: 408, headers: { connection: 'close' } });
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({
      error: 'upload_stalled',
      message: `"trickle.jpg" was not stored: no data arrived for ${UPLOAD_IDLE_TIMEOUT_MS / 1000} s`,
    });
    expect((await t.rows()).map((r) => r.filename)).not.toContain('trickle.jpg');
    expect(await t.objects()).toEqual(objectsBefore);
  });

  it('a body that keeps coming but never ends is ended after UPLOAD_MAX_DURATION_MS with a 408, leaving nothing', async () => {
    const objectsBefore = await t.objects();
    const started = performance.now();
    const { request, response } = startSlowUpload(
      base,
      Buffer.concat([slowUploadHead('endless.jpg'), jpeg.subarray(0, 16 * 1024)]),
    );
    await rowOf('endless.jpg');
    // Never silent for UPLOAD_IDLE_TIMEOUT_MS: a byte every 100 ms, for ever.
    let sent = 16 * 1024;
    const trickle = setInterval(() => {
      if (!request.destroyed && sent < jpeg.length) request.write(jpeg.subarray(sent, ++sent));
    }, 100);
    const result: SlowUploadResult = await response;
    const ms = performance.now() - started;
    clearInterval(trickle);
    request.destroy();

    expect(result).toMatchObject({ status: 408 });
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({
      error: 'upload_stalled',
      message: `"endless.jpg" was not stored: it took longer than ${UPLOAD_MAX_DURATION_MS / 1000} s to arrive`,
    });
    // Not before the limit: the server's own timer ends it, which the message names.
    expect(ms).toBeGreaterThanOrEqual(UPLOAD_MAX_DURATION_MS - 100);
    expect((await t.rows()).map((r) => r.filename)).not.toContain('endless.jpg');
    expect(await t.objects()).toEqual(objectsBefore);
  });
});
