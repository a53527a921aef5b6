import { readFileSync } from 'node:fs';
import { thumbnailKeyFor } from '@annot/object-keys';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

describe('the JSON API', () => {
  let t: TestApp;
  const ids: number[] = [];
  beforeAll(async () => {
    t = await buildTestApp();
    for (const name of ['first.jpg', 'second.jpg', 'third.jpg']) {
      // Distinct bytes: the same bytes twice would be one image.
      const response = await postUpload(t.app, [{ filename: name, content: distinctCopy(jpeg, name) }]);
      ids.push(response.json().images[0].id);
    }
  });
  afterAll(() => t.close());

  it('GET /api/images pages newest first with a cursor', async () => {
    const first = await t.app.inject('/api/images?limit=2');

    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.images.map((i: { filename: string }) => i.filename)).toEqual(['third.jpg', 'second.jpg']);
    expect(page1.nextCursor).toEqual(expect.any(String));

    const page2 = (
      await t.app.inject(`/api/images?limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`)
    ).json();
    expect(page2.images.map((i: { filename: string }) => i.filename)).toEqual(['first.jpg']);
    expect(page2.nextCursor).toBeNull();
  });

  it('GET /api/images/:id shows one image with its URLs and metadata', async () => {
    const response = await t.app.inject(`/api/images/${ids[0]}`);

    expect(response.statusCode).toBe(200);
    const image = response.json();
    expect(image).toEqual({
      id: ids[0],
      filename: 'first.jpg',
      annotation: null,
      annotationStatus: 'pending',
      thumbnailStatus: 'pending',
      annotationError: null,
      thumbnailError: null,
      uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      thumbnailUrl: null,
      originalUrl: expect.stringMatching(/^\/files\/originals\/uploads\/[0-9a-z]{26}\/first\.jpg$/),
      annotator: null,
      model: null,
      contentType: 'image/jpeg',
      byteSize: distinctCopy(jpeg, 'first.jpg').length,
      width: 600,
      height: 450,
      tags: [],
      textInImage: null,
      safety: null,
    });
  });

  it('GET /api/images/status follows what the workers record', async () => {
    const [a, b, c] = await Promise.all(ids.map((id) => t.repository.getById(id)));
    await t.repository.recordThumbnail({
      originalKey: a!.originalKey,
      thumbnailKey: thumbnailKeyFor(a!.originalKey),
    });
    await t.repository.recordAnnotation({
      originalKey: a!.originalKey,
      annotation: 'A field.',
      annotator: 'local',
      model: 'local-v1',
    });
    await t.repository.markFailed({
      originalKey: b!.originalKey,
      stage: 'thumbnail',
      reason: 'not a decodable image',
    });

    const response = await t.app.inject(`/api/images/status?ids=${ids.join(',')},999`);

    expect(response.statusCode).toBe(200);
    const byId = new Map(response.json().images.map((s: { id: number }) => [s.id, s]));
    expect(byId.size).toBe(3);
    expect(byId.get(a!.id)).toMatchObject({
      annotationStatus: 'completed',
      thumbnailStatus: 'completed',
      annotation: 'A field.',
      thumbnailUrl: `/files/thumbnails/${thumbnailKeyFor(a!.originalKey)}`,
    });
    expect(byId.get(b!.id)).toMatchObject({
      thumbnailStatus: 'failed',
      thumbnailError: 'not a decodable image',
      thumbnailUrl: null,
      annotationStatus: 'pending',
    });
    expect(byId.get(c!.id)).toMatchObject({ annotationStatus: 'pending', thumbnailStatus: 'pending' });
  });

  it('answers 404 JSON for an image that does not exist', async () => {
    const response = await t.app.inject('/api/images/424242');

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'No image with id 424242' });
  });

  const BAD_REQUESTS = [
    ['/api/images?limit=0', /limit must be >= 1/],
    ['/api/images?limit=101', /limit must be <= 100/],
    ['/api/images?limit=ten', /limit must be integer/],
    // Ajv coerces these to numbers it checks no bound on: once a 500.
    ['/api/images?limit=Infinity', /querystring\/limit must be a finite number/],
    ['/api/images?limit=-Infinity', /querystring\/limit must be a finite number/],
    ['/api/images?limit=1e309', /querystring\/limit must be a finite number/],
    ['/api/images/Infinity', /params\/id must be a finite number/],
    ['/api/images?cursor=not-a-cursor', /Invalid pagination cursor/],
    ['/api/images?cursor=', /cursor must NOT have fewer than 1 characters/],
    ['/api/images/abc', /id must be integer/],
    ['/api/images/0', /id must be >= 1/],
    ['/api/images/99999999999', /id must be <= 2147483647/],
    ['/api/images/status', /must have required property 'ids'/],
    ['/api/images/status?ids=', /ids must match pattern/],
    ['/api/images/status?ids=1,a', /ids must match pattern/],
    ['/api/images/status?ids=-1', /ids must match pattern/],
    ['/api/images/status?ids=1,,2', /ids must match pattern/],
    [
      `/api/images/status?ids=${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`,
      /at most 100 are allowed/,
    ],
    ['/api/images/status?ids=9999999999', /ids are at most 2147483647/],
  ] as const;

  it.each(BAD_REQUESTS)('GET %s is a 400 that says what is wrong', async (url, message) => {
    const response = await t.app.inject(url);

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json().message).toMatch(message);
  });
});
