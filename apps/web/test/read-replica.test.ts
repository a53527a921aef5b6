/**
 * The web tier's read-replica routing, on MariaDB: DATABASE_URL is the primary, DATABASE_READ_URL
 * a second database with a row of its own, reached as a SELECT-only user (a write sent there
 * fails). The gallery's older pages, searches and GET /api/images read the replica; writes, the
 * status polling, one image (JSON and page) and the cached first page read the primary.
 */
import { readFileSync } from 'node:fs';
import { openRepository } from '@annot/db';
import { uploadKey } from '@annot/object-keys';
import {
  createReadOnlyUser,
  createTestDatabase,
  fixturePath,
  mariaDbAvailable,
  type ReadOnlyUser,
  type TestDatabase,
} from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

describe.runIf(await mariaDbAvailable())('reads routed between the primary and a read replica', () => {
  let primary: TestDatabase;
  let replica: TestDatabase;
  let readOnly: ReadOnlyUser;
  let t: TestApp;
  let uploadedId: number;

  beforeAll(async () => {
    primary = await createTestDatabase('web_rr_p');
    replica = await createTestDatabase('web_rr_r');
    const seed = await openRepository({
      database: {
        kind: 'mysql',
        url: replica.url,
        secretArn: undefined,
        host: undefined,
        port: 3306,
        database: replica.name,
        poolSize: 1,
      },
    });
    const key = uploadKey('replica-only.jpg');
    await seed.createPending({
      filename: 'replica-only.jpg',
      originalKey: key,
      contentType: 'image/jpeg',
      byteSize: jpeg.length,
      width: 600,
      height: 450,
    });
    await seed.close();
    readOnly = await createReadOnlyUser(replica);
    t = await buildTestApp({
      DATABASE_URL: primary.url,
      DATABASE_READ_URL: readOnly.url,
      GALLERY_CACHE_MS: '0',
    });
    const response = await postUpload(t.app, [{ filename: 'fresh-upload.jpg', content: jpeg }]);
    expect(response.statusCode).toBe(201);
    uploadedId = response.json().images[0].id;
  });

  afterAll(async () => {
    await t?.close();
    await readOnly?.drop();
    await primary?.drop();
    await replica?.drop();
  });

  it('the upload was written (to the primary: the replica user may not write)', () => {
    expect(uploadedId).toBeGreaterThan(0);
  });

  it('the status polling and one image read the primary, so the uploader sees their upload', async () => {
    const statuses = await t.app.inject({ url: `/api/images/status?ids=${uploadedId}` });
    expect(statuses.json().images.map((i: { id: number }) => i.id)).toEqual([uploadedId]);
    const one = await t.app.inject({ url: `/api/images/${uploadedId}` });
    expect(one.statusCode).toBe(200);
    expect(one.json().filename).toBe('fresh-upload.jpg');
    const page = await t.app.inject({ url: `/images/${uploadedId}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('fresh-upload.jpg');
  });

  it('the gallery’s first page reads the primary (it is the page an upload invalidates)', async () => {
    const first = await t.app.inject({ url: '/gallery' });
    expect(first.body).toContain('fresh-upload.jpg');
    expect(first.body).not.toContain('replica-only.jpg');
  });

  it('searches and the JSON list read the replica', async () => {
    const search = await t.app.inject({ url: '/gallery?q=replica' });
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('replica-only.jpg');
    expect((await t.app.inject({ url: '/gallery?q=fresh' })).body).not.toContain('fresh-upload.jpg');
    const list = await t.app.inject({ url: '/api/images' });
    expect(list.json().images.map((i: { filename: string }) => i.filename)).toEqual(['replica-only.jpg']);
    const apiSearch = await t.app.inject({ url: '/api/images?q=replica' });
    expect(apiSearch.json().images.map((i: { filename: string }) => i.filename)).toEqual([
      'replica-only.jpg',
    ]);
  });
});
