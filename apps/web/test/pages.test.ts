import { readFileSync } from 'node:fs';
import { thumbnailKeyFor } from '@annot/object-keys';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const html = { accept: 'text/html,application/xhtml+xml' };

describe('the upload page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('is a form that posts files without JavaScript, and loads its script from our origin', async () => {
    const response = await t.app.inject({ url: '/', headers: html });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toMatch(
      /<form[^>]+method="post"[^>]+action="\/upload"[^>]+enctype="multipart\/form-data"/,
    );
    expect(response.body).toMatch(/<input[^>]+type="file"[^>]+name="image"[^>]+multiple/);
    expect(response.body).toMatch(/<script src="\/static\/upload\.js\?v=[0-9a-f]{12}" defer><\/script>/);
    expect(response.body).not.toMatch(/<script>|style="|onclick=|onerror=/);
  });

  it('is served with a strict Content-Security-Policy and security headers', async () => {
    const response = await t.app.inject({ url: '/', headers: html });
    const csp = String(response.headers['content-security-policy']);

    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });
});

describe('the gallery page', () => {
  let t: TestApp;
  let keys: string[];
  // Each test gets its own app and three images: the tests below change rows, and each must run
  // the same alone or in any order.
  beforeEach(async () => {
    keys = [];
    // These tests change rows behind the app's back and look at the page at once: no page cache
    // (gallery-cache.test.ts covers it).
    t = await buildTestApp({ GALLERY_PAGE_SIZE: '2', GALLERY_CACHE_MS: '0' });
    for (const name of ['one.jpg', 'two.jpg', 'three.jpg']) {
      const content = distinctCopy(jpeg, name); // the same bytes twice would be one image
      const id = (await postUpload(t.app, [{ filename: name, content }])).json().images[0].id;
      keys.push((await t.repository.getById(id))!.originalKey);
    }
  });
  afterEach(() => t?.close());

  it('shows an empty state before any upload', async () => {
    const empty = await buildTestApp();
    try {
      const response = await empty.app.inject({ url: '/gallery', headers: html });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('No images yet.');
    } finally {
      await empty.close();
    }
  });

  it('lists the newest first, a page at a time, with a link to older images', async () => {
    const first = await t.app.inject({ url: '/gallery', headers: html });

    expect(first.statusCode).toBe(200);
    expect([...first.body.matchAll(/<h2 class="filename"[^>]*><a [^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(
      ['three.jpg', 'two.jpg'],
    );
    const next = /href="\/gallery\?cursor=([^"]+)"/.exec(first.body)?.[1];
    expect(next).toBeDefined();

    const second = await t.app.inject({ url: `/gallery?cursor=${next}`, headers: html });
    expect(
      [...second.body.matchAll(/<h2 class="filename"[^>]*><a [^>]*>([^<]+)</g)].map((m) => m[1]),
    ).toEqual(['one.jpg']);
    expect(second.body).not.toContain('/gallery?cursor=');
    expect(second.body).toContain('href="/gallery"');
  });

  it('shows pending items with a placeholder and marks them for polling', async () => {
    const body = (await t.app.inject({ url: '/gallery', headers: html })).body;

    expect(body).toMatch(/<article class="card" data-id="\d+" data-pending>/);
    expect(body).toContain('<span class="placeholder" data-state="pending">');
    expect(body).toContain('data-stage="thumbnail" data-status="pending"');
    expect(body).not.toContain('<img');
    expect(body).toMatch(/<script src="\/static\/gallery\.js\?v=[0-9a-f]{12}" defer>/);
  });

  it('shows a finished thumbnail, the annotation and its author, and failure reasons', async () => {
    const [, two, three] = keys as [string, string, string];
    await t.repository.recordThumbnail({ originalKey: three, thumbnailKey: thumbnailKeyFor(three) });
    await t.repository.recordAnnotation({
      originalKey: three,
      annotation: 'A <b>bold</b> claim',
      annotator: 'local',
      model: 'local-v1',
    });
    await t.repository.markFailed({
      originalKey: two,
      stage: 'annotation',
      reason: 'blocked by <safety> filter',
    });
    await t.repository.markFailed({ originalKey: two, stage: 'thumbnail', reason: 'not decodable' });

    const body = (await t.app.inject({ url: '/gallery', headers: html })).body;

    expect(body).toContain(
      `<img src="/files/thumbnails/${thumbnailKeyFor(three)}" alt="Thumbnail of three.jpg"`,
    );
    expect(body).toContain('A &lt;b&gt;bold&lt;/b&gt; claim');
    expect(body).toContain('by Local analysis (local-v1)');
    expect(body).toContain('Annotation failed: blocked by &lt;safety&gt; filter');
    expect(body).toContain('Thumbnail failed: not decodable');
    expect(body).toContain('<span class="placeholder" data-state="failed">No thumbnail</span>');
    expect(body).toContain(
      `<a class="original-link" href="/files/originals/${three}">View original<span class="visually-hidden"> of three.jpg</span></a>`,
    );
    // Each URL once a card: the thumbnail opens the original through that same link.
    expect(body.split(`/files/originals/${three}`)).toHaveLength(2);
    expect(body.split(`/files/thumbnails/${thumbnailKeyFor(three)}`)).toHaveLength(2);
  });

  it('refuses a malformed cursor with a 400 page', async () => {
    const response = await t.app.inject({ url: '/gallery?cursor=garbage', headers: html });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Invalid pagination cursor');
  });
});

describe('static assets and unknown routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('serves versioned assets as immutable, and revalidates unversioned ones', async () => {
    const page = (await t.app.inject({ url: '/', headers: html })).body;
    const href = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(page)![1]!;

    const versioned = await t.app.inject(href);
    expect(versioned.statusCode).toBe(200);
    expect(versioned.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(versioned.body).toContain('.topbar');

    const plain = await t.app.inject('/static/app.css');
    expect(plain.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    const revalidated = await t.app.inject({
      url: '/static/app.css',
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    expect(revalidated.statusCode).toBe(304);
  });

  it('answers an unknown page with an HTML 404, and an unknown API route with JSON', async () => {
    const page = await t.app.inject({ url: '/nope?<x>', headers: html });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('No route GET /nope');

    const api = await t.app.inject({ url: '/api/nope', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ error: 'not_found', message: 'No route GET /api/nope' });

    const asset = await t.app.inject('/static/missing.js');
    expect(asset.statusCode).toBe(404);
  });
});
