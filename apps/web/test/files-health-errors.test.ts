import { readFileSync } from 'node:fs';
import { fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, storedFiles, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

describe('GET /files/:bucket/* (directory storage)', () => {
  let t: TestApp;
  let originalUrl: string;
  beforeAll(async () => {
    t = await buildTestApp();
    const id = (await postUpload(t.app, [{ filename: 'photo.jpg', content: jpeg }])).json().images[0].id;
    originalUrl = (await t.app.inject(`/api/images/${id}`)).json().originalUrl;
  });
  afterAll(() => t.close());

  it('streams the stored bytes with their type, nosniff and a long immutable cache', async () => {
    const response = await t.app.inject(originalUrl);

    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(jpeg)).toBe(true);
    expect(response.headers['content-type']).toBe('image/jpeg');
    expect(response.headers['content-length']).toBe(String(jpeg.length));
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  const ESCAPES = [
    '/files/originals/..%2F..%2Fannotations.sqlite',
    '/files/originals/uploads/..%2F..%2F..%2Fannotations.sqlite',
    '/files/originals/%2E%2E/%2E%2E/annotations.sqlite',
    '/files/originals/..%5C..%5Cannotations.sqlite',
    '/files/originals/%2Fetc%2Fpasswd',
    '/files/originals/uploads/%00x',
    '/files/.meta/originals/uploads/x',
    '/files/blobs/originals/uploads/x',
    '/files/thumbnails/.tmp-x',
    '/files/originals/uploads/missing/nothing.jpg',
  ];

  it.each(ESCAPES)('answers %s with 404, never a file outside the bucket', async (url) => {
    const response = await t.app.inject(url);

    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('SQLite format');
  });
});

describe('GET /health, GET /ready and the error handler', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  /** /health's and /ready's status and body, and /ready's Retry-After. */
  async function checks() {
    const [health, ready] = [await t.app.inject('/health'), await t.app.inject('/ready')];
    return {
      health: [health.statusCode, health.json()],
      ready: [ready.statusCode, ready.json(), ready.headers['retry-after']],
    };
  }

  it('both are 200 while the database and storage answer', async () => {
    expect(await checks()).toEqual({
      health: [200, { status: 'ok', database: 'up', storage: 'up' }],
      ready: [200, { status: 'ready', database: 'up', storage: 'up' }, undefined],
    });
  });

  describe('once the database is gone', () => {
    beforeAll(() => t.repository.close());

    it('/health stays 200 and reports it down; /ready is 503 with Retry-After', async () => {
      expect(await checks()).toEqual({
        health: [200, { status: 'ok', database: 'down', storage: 'up' }],
        ready: [503, { status: 'unavailable', database: 'down', storage: 'up' }, '5'],
      });
    });

    // A closed repository is this process's own fault, not an outage: it stays a 500.
    it('a failing API request is a 500 that hides the cause and gives the request id', async () => {
      const response = await t.app.inject('/api/images');

      expect(response.statusCode).toBe(500);
      const body = response.json();
      expect(body).toEqual({
        error: 'internal_error',
        message: 'Internal server error',
        requestId: expect.any(String),
      });
    });

    it('a failing page is a 500 page without internals', async () => {
      const response = await t.app.inject({ url: '/gallery', headers: { accept: 'text/html' } });

      expect(response.statusCode).toBe(500);
      expect(response.body).toContain('Something went wrong');
      expect(response.body).toContain('Request id:');
      expect(response.body).not.toMatch(/sqlite|database|Error:/i);
    });

    it('an upload that cannot be recorded is a 500 and leaves no object behind', async () => {
      const response = await postUpload(t.app, [{ filename: 'late.jpg', content: jpeg }]);

      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({
        error: 'internal_error',
        message: expect.stringMatching(/^"late\.jpg" could not be stored \(request /),
      });
      expect(response.body).not.toMatch(/sqlite|database/i);
      // The row comes first: a database that cannot take it stops the upload before anything is
      // stored (no original, no temp file, no thumbnail).
      expect(await storedFiles(t, 'originals')).toEqual([]);
      expect(await storedFiles(t, 'thumbnails')).toEqual([]);
    });
  });
});
