/**
 * Cache-Control, route by route: what CloudFront in front of the ALB (infra/src/edge.ts) and the
 * browsers may keep. Assets are immutable under their fingerprint; an anonymous viewer's gallery is
 * shared briefly; everything that carries a viewer's own actions is private; the API, uploads,
 * deletes and retries are never stored.
 */
import { readFileSync } from 'node:fs';
import { distinctCopy, fixturePath } from '@annot/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const ADMIN: string = 'operator-token-for-cache-tests';
const SAME_ORIGIN = { origin: 'http://localhost:80' };

describe('Cache-Control per route', () => {
  let t: TestApp;
  let id: number;
  let cookie: string;

  beforeAll(async () => {
    t = await buildTestApp({ ADMIN_TOKEN: ADMIN, GALLERY_SHARED_MAX_AGE_SECONDS: '7' });
    const page = await t.app.inject({ url: '/' });
    cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const upload = await postUpload(t.app, [{ filename: 'cached.jpg', content: jpeg }]);
    id = upload.json().images[0].id;
  });
  afterAll(() => t.close());

  const header = async (options: InjectOptions) => {
    const response = await t.app.inject(options);
    return { status: response.statusCode, cacheControl: response.headers['cache-control'], response };
  };

  it('a fingerprinted asset is immutable for a year; its unversioned URL revalidates', async () => {
    const page = await t.app.inject({ url: '/gallery' });
    const css = /href="(\/static\/app\.css\?v=[0-9a-f]{12})"/.exec(page.body)?.[1];
    expect(css).toBeDefined();
    expect((await header({ url: css! })).cacheControl).toBe('public, max-age=31536000, immutable');
    expect((await header({ url: '/static/app.css' })).cacheControl).toBe(
      'public, max-age=0, must-revalidate',
    );
  });

  it('an anonymous gallery page may be shared for GALLERY_SHARED_MAX_AGE_SECONDS; browsers revalidate', async () => {
    const anonymous = await header({ url: '/gallery' });
    expect(anonymous.status).toBe(200);
    expect(anonymous.cacheControl).toBe('public, max-age=0, s-maxage=7');
    expect(anonymous.response.headers['set-cookie']).toBeUndefined();
    expect((await header({ url: '/gallery?status=pending' })).cacheControl).toBe(
      'public, max-age=0, s-maxage=7',
    );
  });

  it('a gallery page for a viewer with a cookie or a token is private (it may carry their buttons)', async () => {
    const mine = await header({ url: '/gallery', headers: { cookie } });
    expect(mine.cacheControl).toBe('private, no-cache');
    const operator = await header({ url: '/gallery', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(operator.cacheControl).toBe('private, no-cache');
    // A wrong token or a tampered cookie shows no buttons, but the request still says it is someone's.
    const wrong = await header({ url: '/gallery', headers: { authorization: 'Bearer nope' } });
    expect(wrong.cacheControl).toBe('private, no-cache');
    const tampered = await header({ url: '/gallery', headers: { cookie: 'annot_uploader=forged' } });
    expect(tampered.cacheControl).toBe('private, no-cache');
  });

  it('the live fragment is never stored, and an image’s own page is private', async () => {
    expect((await header({ url: '/gallery/cards' })).cacheControl).toBe('no-store');
    expect((await header({ url: `/images/${id}` })).cacheControl).toBe('private, no-cache');
    expect((await header({ url: '/images/999999' })).cacheControl).toBe('private, no-cache');
  });

  it.each([
    ['the upload page (it hands out the uploader cookie)', 'GET', '/'],
    ['the JSON list', 'GET', '/api/images'],
    ['a search through the API', 'GET', '/api/images?q=cached'],
    ['the status polling', 'GET', '/api/images/status?ids=1'],
    ['one image', 'GET', '/api/images/1'],
    ['the health check', 'GET', '/health'],
    ['the readiness check', 'GET', '/ready'],
    ['an unknown page', 'GET', '/nope'],
    ['a gallery request the schema refuses', 'GET', '/gallery?cursor=bad'],
  ] as const)('%s is no-store', async (_what, method, url) => {
    expect((await header({ method, url })).cacheControl).toBe('no-store');
  });

  it('an upload, a retry and a delete are no-store', async () => {
    const upload = await postUpload(t.app, [
      { filename: 'another.jpg', content: distinctCopy(jpeg, 'another') },
    ]);
    expect(upload.statusCode).toBe(201);
    expect(upload.headers['cache-control']).toBe('no-store');
    const refused = await postUpload(t.app, [{ filename: 'notes.txt', content: 'not an image' }]);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['cache-control']).toBe('no-store');
    const auth = { authorization: `Bearer ${ADMIN}`, ...SAME_ORIGIN };
    const retry = await header({ method: 'POST', url: `/api/images/${id}/retry`, headers: auth });
    expect(retry.cacheControl).toBe('no-store');
    const gone = await header({ method: 'DELETE', url: `/api/images/${id}`, headers: auth });
    expect(gone.status).toBe(204);
    expect(gone.cacheControl).toBe('no-store');
  });

  it('GALLERY_SHARED_MAX_AGE_SECONDS=0 keeps every gallery page out of shared caches', async () => {
    const off = await buildTestApp({ GALLERY_SHARED_MAX_AGE_SECONDS: '0' });
    try {
      expect((await off.app.inject({ url: '/gallery' })).headers['cache-control']).toBe('private, no-cache');
    } finally {
      await off.close();
    }
  });
});
