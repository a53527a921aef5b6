import { readFileSync } from 'node:fs';
import {
  createTestDatabase,
  distinctCopy,
  fixturePath,
  mariaDbAvailable,
  startS3Server,
} from '@annot/testing';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  allRows,
  buildTestApp,
  describeEachBackend,
  postUpload,
  storedFiles,
  type TestApp,
} from './helper.ts';

const LIMIT = 200_000;
const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
// Bytes after a JPEG's end-of-image marker are ignored by decoders: still a valid JPEG, one byte too big.
const oneByteOver = Buffer.concat([jpeg, Buffer.alloc(LIMIT + 1 - jpeg.length)]);
const cutAvif = readFileSync(fixturePath('pitm.avif')).subarray(0, 20_000);
const cutGif = readFileSync(fixturePath('rotating-squares.gif')).subarray(0, 5_000);
/** Each test uploads its own bytes (the platform stores each distinct content once). */
let copies = 0;
const fresh = () => distinctCopy(jpeg, `backends ${++copies}`);

interface Backend {
  readonly name: string;
  readonly enabled: boolean;
  start(): Promise<{ app: TestApp; originals: () => Promise<string[]>; stop: () => Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite + directory storage',
    enabled: true,
    async start() {
      const app = await buildTestApp({ MAX_UPLOAD_BYTES: String(LIMIT) });
      return { app, originals: () => storedFiles(app, 'originals'), stop: () => app.close() };
    },
  },
  {
    name: 'MariaDB + S3 (s3rver)',
    enabled: await mariaDbAvailable(),
    async start() {
      const database = await createTestDatabase('web');
      const s3 = await startS3Server(['web-originals', 'web-thumbnails']);
      const env = s3.env({ originals: 'web-originals', thumbnails: 'web-thumbnails' });
      const app = await buildTestApp(
        { ...env, DATABASE_URL: database.url, MAX_UPLOAD_BYTES: String(LIMIT) },
        { s3ClientConfig: { credentials: s3.credentials } },
      );
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: s3.credentials,
      });
      const originals = async () => {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: 'web-originals' }));
        return (listed.Contents ?? []).map((o) => o.Key!).sort();
      };
      return {
        app,
        originals,
        async stop() {
          client.destroy();
          await app.close();
          await s3.stop();
          await database.drop();
        },
      };
    },
  },
];

describeEachBackend(BACKENDS)('key routes on $name', (backend) => {
  let t: TestApp;
  let originals: () => Promise<string[]>;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app: t, originals, stop } = await backend.start());
  });
  afterAll(() => stop?.());

  it('GET /health and GET /ready find the database and storage up', async () => {
    expect((await t.app.inject('/health')).json()).toEqual({ status: 'ok', database: 'up', storage: 'up' });
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: 'up', storage: 'up' });
  });

  it.each([
    ['one byte over the size limit', 'big.jpg', oneByteOver, 413, 'too_large'],
    ['not an image', 'notes.jpg', Buffer.from('plain text'), 400, 'unsupported_type'],
    [
      'over the pixel limit',
      'bomb.png',
      readFileSync(fixturePath('65536-uint32-limit.png')).subarray(0, 100_000),
      422,
      'too_many_pixels',
    ],
    ['cut short (an AVIF, found only at its last byte)', 'cut.avif', cutAvif, 400, 'corrupt_image'],
    ['cut short (a GIF)', 'cut.gif', cutGif, 400, 'corrupt_image'],
  ] as const)(
    'refuses a file %s, leaving no row and no object',
    async (_what, filename, content, status, error) => {
      const rowsBefore = await allRows(t);
      const originalsBefore = await originals();

      const response = await postUpload(t.app, [{ filename, content }]);

      expect(response.statusCode).toBe(status);
      expect(response.json().error).toBe(error);
      expect(await allRows(t)).toEqual(rowsBefore);
      expect(await originals()).toEqual(originalsBefore);
    },
  );

  it('stores an accepted upload: one row, one object with its real type', async () => {
    const content = fresh();
    const rowsBefore = await allRows(t);
    const originalsBefore = await originals();

    const response = await postUpload(t.app, [{ filename: 'photo.jpg', content }]);

    expect(response.statusCode).toBe(201);
    const rows = await allRows(t);
    expect(rows).toHaveLength(rowsBefore.length + 1);
    const row = rows.find((r) => r.id === response.json().images[0].id);
    expect(row).toMatchObject({
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      byteSize: content.length,
      width: 600,
      height: 450,
    });
    expect(await originals()).toEqual([...originalsBefore, row!.originalKey].sort());
    expect(await t.storage.originals.head(row!.originalKey)).toMatchObject({
      size: content.length,
      contentType: 'image/jpeg',
    });
  });

  it('gives the image a URL the browser can fetch, the same on every page view', async () => {
    const content = fresh();
    const { id } = (await postUpload(t.app, [{ filename: 'fetched.jpg', content }])).json().images[0];
    const image = (await t.app.inject(`/api/images/${id}`)).json();
    const again = (await t.app.inject(`/api/images/${id}`)).json();

    expect(again.originalUrl).toBe(image.originalUrl);
    const url = image.originalUrl.startsWith('/') ? null : new URL(image.originalUrl);
    const bytes = url
      ? Buffer.from(await (await fetch(url)).arrayBuffer())
      : (await t.app.inject(image.originalUrl)).rawPayload;
    expect(bytes.equals(content)).toBe(true);
    if (url) expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists it in the gallery, with image origins allowed by the CSP', async () => {
    const { id } = (await postUpload(t.app, [{ filename: 'listed.jpg', content: fresh() }])).json().images[0];
    const image = (await t.app.inject(`/api/images/${id}`)).json();

    const response = await t.app.inject({ url: '/gallery', headers: { accept: 'text/html' } });

    expect(response.body).toContain(
      `<h2 class="filename" title="listed.jpg"><a class="image-link" href="/images/${id}">listed.jpg</a></h2>`,
    );
    expect(response.body).toContain(`href="${image.originalUrl.replaceAll('&', '&amp;')}"`);
    const csp = String(response.headers['content-security-policy']);
    if (!image.originalUrl.startsWith('/')) expect(csp).toContain(new URL(image.originalUrl).origin);
  });
});
