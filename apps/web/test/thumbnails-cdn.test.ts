import { readFileSync } from 'node:fs';
import { thumbnailKeyFor } from '@annot/object-keys';
import type { S3ObjectStore } from '@annot/storage';
import { fixturePath, startS3Server, type TestS3Server } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const CDN = 'https://d111111abcdef8.cloudfront.net';
const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

const imgSrc = (csp: unknown) =>
  String(csp)
    .split(';')
    .find((d) => d.startsWith('img-src '));

describe('thumbnails through a CDN (THUMBNAILS_BASE_URL, S3)', () => {
  let s3: TestS3Server;
  let t: TestApp;
  let id: number;
  let thumbnailKey: string;
  beforeAll(async () => {
    s3 = await startS3Server(['cdn-originals', 'cdn-thumbnails']);
    t = await buildTestApp(
      {
        ...s3.env({ originals: 'cdn-originals', thumbnails: 'cdn-thumbnails' }),
        THUMBNAILS_BASE_URL: `${CDN}/`,
        GALLERY_CACHE_MS: '0',
      },
      { s3ClientConfig: { credentials: s3.credentials } },
    );
    const upload = await postUpload(t.app, [{ filename: 'cdn.jpg', content: jpeg }]);
    id = upload.json().images[0].id;
    const record = await t.repository.getById(id);
    thumbnailKey = thumbnailKeyFor(record!.originalKey);
    await t.repository.recordThumbnail({ originalKey: record!.originalKey, thumbnailKey });
  });
  afterAll(async () => {
    (t?.storage.originals as S3ObjectStore | undefined)?.client.destroy();
    await t?.close();
    await s3?.stop();
  });

  it('the CSP lets images load from the CDN as well as from S3', async () => {
    const response = await t.app.inject('/gallery');
    expect(imgSrc(response.headers['content-security-policy'])).toBe(
      `img-src 'self' data: ${s3.endpoint} ${CDN}`,
    );
  });

  it('the API gives CDN thumbnail URLs and presigned original URLs', async () => {
    const image = (await t.app.inject(`/api/images/${id}`)).json();
    expect(image.thumbnailUrl).toBe(`${CDN}/${thumbnailKey}`);
    expect(new URL(image.originalUrl).origin).toBe(s3.endpoint);
    expect(new URL(image.originalUrl).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const [status] = (await t.app.inject(`/api/images/status?ids=${id}`)).json().images;
    expect(status.thumbnailUrl).toBe(`${CDN}/${thumbnailKey}`);
    const listed = (await t.app.inject('/api/images')).json().images;
    expect(listed.map((i: { thumbnailUrl: string }) => i.thumbnailUrl)).toEqual([`${CDN}/${thumbnailKey}`]);
  });

  it('the gallery shows the CDN thumbnail, and no thumbnail URL was signed', async () => {
    const body = (await t.app.inject({ url: '/gallery', headers: { accept: 'text/html' } })).body;
    expect(body).toContain(`<img src="${CDN}/${thumbnailKey}"`);
    expect((t.storage.thumbnails as S3ObjectStore).presignStats()).toEqual({ signed: 0, cacheHits: 0 });
    expect((t.storage.originals as S3ObjectStore).presignStats().signed).toBeGreaterThan(0);
  });
});

describe('THUMBNAILS_BASE_URL with the directory adapter', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ THUMBNAILS_BASE_URL: 'http://127.0.0.1:8080/thumbs' });
  });
  afterAll(() => t.close());

  it('adds only that origin to img-src (originals stay on /files)', async () => {
    const response = await t.app.inject('/health');
    expect(imgSrc(response.headers['content-security-policy'])).toBe(
      "img-src 'self' data: http://127.0.0.1:8080",
    );
  });
});
