import { readFileSync } from 'node:fs';
import type { Stage } from '@annot/db';
import { thumbnailKeyFor } from '@annot/object-keys';
import {
  createTestDatabase,
  distinctCopy,
  fixturePath,
  mariaDbAvailable,
  startS3Server,
} from '@annot/testing';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REFUSALS, UPLOADER_COOKIE } from '../src/auth/permissions.ts';
import { RETRY_NOT_SENT } from '../src/routes/actions.ts';
import { buildTestApp, describeEachBackend, postUpload, type TestApp, withMethod } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
/** The platform stores each distinct content once: every upload here sends distinct bytes. */
let copies = 0;
const fresh = () => distinctCopy(jpeg, `actions ${++copies}`);
const ADMIN = 'operator-token-0123456789';
/** app.inject's requests are to http://localhost:80. */
const OWN_ORIGIN = 'http://localhost:80';

/** What the retry route asked the workers for; `fail` makes the next requests reject. */
const requested: { key: string; stage: Stage }[] = [];
let requestsFail = false;
const requestStage = async (key: string, stage: Stage) => {
  if (requestsFail) throw new Error('event bus unreachable');
  requested.push({ key, stage });
};

interface Backend {
  readonly name: string;
  readonly enabled: boolean;
  /** Storage is (versioned) S3. */
  readonly s3?: boolean;
  start(): Promise<{ app: TestApp; stop: () => Promise<void>; versionsOf?: VersionCounter }>;
}

/** How many versions and delete markers a key has in a versioned bucket. */
type VersionCounter = (bucket: 'originals' | 'thumbnails', key: string) => Promise<number>;

const BACKENDS: Backend[] = [
  {
    name: 'SQLite + directory storage',
    enabled: true,
    async start() {
      const app = await buildTestApp({ ADMIN_TOKEN: ADMIN }, {}, { requestStage });
      return { app, stop: () => app.close() };
    },
  },
  {
    name: 'MariaDB + S3 (s3rver)',
    enabled: await mariaDbAvailable(),
    s3: true,
    async start() {
      const database = await createTestDatabase('web_actions');
      // Versioned, as the buckets are in AWS: a plain DELETE would leave the bytes behind.
      const s3 = await startS3Server(['act-originals', 'act-thumbnails'], { versioned: true });
      const env = s3.env({ originals: 'act-originals', thumbnails: 'act-thumbnails' });
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: s3.credentials,
      });
      const versionsOf: VersionCounter = async (bucket, key) => {
        const listed = await client.send(
          new ListObjectVersionsCommand({ Bucket: `act-${bucket}`, Prefix: key }),
        );
        const all = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])];
        return all.filter((entry) => entry.Key === key).length;
      };
      const app = await buildTestApp(
        { ...env, DATABASE_URL: database.url, ADMIN_TOKEN: ADMIN },
        { s3ClientConfig: { credentials: s3.credentials } },
        { requestStage },
      );
      return {
        app,
        versionsOf,
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

/** The cookie header a browser sends back after this response. */
function cookieFrom(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === UPLOADER_COOKIE);
  if (!cookie) throw new Error('no uploader cookie set');
  return `${UPLOADER_COOKIE}=${cookie.value}`;
}

describeEachBackend(BACKENDS)('DELETE and retry on $name', (backend) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  let versionsOf: VersionCounter | undefined;
  /** Browser A's cookie, and browser B's (a valid cookie of another uploader). */
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    ({ app: t, stop, versionsOf } = await backend.start());
    mine = cookieFrom(await postUpload(t.app, [{ filename: 'first.jpg', content: fresh() }]));
    theirs = cookieFrom(await postUpload(t.app, [{ filename: 'other.jpg', content: fresh() }]));
  });
  afterAll(() => stop?.());
  beforeEach(() => {
    requested.length = 0;
    requestsFail = false;
  });

  /** Uploads one image as browser A; with `failed`, both its stages are recorded as failed. */
  async function upload(options: { failed?: boolean; cookie?: string } = {}) {
    const content = fresh();
    const { payload, headers } = (await import('./helper.ts')).multipart([
      { filename: 'photo <b>.jpg', content },
    ]);
    const response = await t.app.inject({
      method: 'POST',
      url: '/upload',
      payload,
      headers: { ...headers, accept: 'application/json', cookie: options.cookie ?? mine },
    });
    expect(response.statusCode).toBe(201);
    const id: number = response.json().images[0].id;
    const record = (await t.repository.getById(id))!;
    if (options.failed) {
      for (const stage of ['thumbnail', 'annotation'] as const) {
        await t.repository.markFailed({ originalKey: record.originalKey, stage, reason: `No ${stage}.` });
      }
    }
    // A thumbnail object, as a thumbnailer would have stored before failing to record it.
    await t.storage.thumbnails.put(thumbnailKeyFor(record.originalKey), Buffer.from('thumb'));
    return { id, record, response, content };
  }

  const change = (
    method: 'DELETE' | 'POST',
    id: number | string,
    headers: Record<string, string> = {},
    body?: unknown,
  ) =>
    t.app.inject({
      method,
      url: method === 'DELETE' ? `/api/images/${id}` : `/api/images/${id}/retry`,
      headers: { accept: 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });

  async function expectUnchanged(id: number, key: string, before: unknown) {
    expect(await t.repository.getById(id)).toEqual(before);
    expect(await t.storage.originals.head(key)).not.toBeNull();
    expect(await t.storage.thumbnails.head(thumbnailKeyFor(key))).not.toBeNull();
  }

  it('the upload sets a signed, HttpOnly, SameSite=Strict cookie; the browser keeps its id', async () => {
    const { response, record } = await upload();
    const cookie = response.cookies.find((c) => c.name === UPLOADER_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.secure).toBeFalsy();
    expect(cookie.maxAge).toBeGreaterThan(365 * 24 * 3600);
    expect(`${UPLOADER_COOKIE}=${cookie.value}`).toBe(mine);
    const first = (await t.repository.getById(
      (await t.repository.listPage({ limit: 1000 })).images.at(-1)!.id,
    ))!;
    expect(record.uploader).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(record.uploader).toBe(first.uploader);
    const other = await t.repository.listPage({ limit: 1000 });
    expect(other.images.find((i) => i.filename === 'other.jpg')!.uploader).not.toBe(record.uploader);
  });

  it.each([
    ['a stranger (no cookie)', () => ({ origin: OWN_ORIGIN }), REFUSALS.stranger],
    ['a tampered cookie', () => ({ origin: OWN_ORIGIN, cookie: tamper(mine) }), REFUSALS.stranger],
    ['a valid cookie of another uploader', () => ({ origin: OWN_ORIGIN, cookie: theirs }), REFUSALS.stranger],
    [
      'a cross-origin request with a valid cookie',
      () => ({ origin: 'https://evil.example', cookie: mine }),
      REFUSALS.crossSite,
    ],
    [
      'a cross-site fetch with a valid cookie',
      () => ({ origin: OWN_ORIGIN, cookie: mine, 'sec-fetch-site': 'cross-site' }),
      REFUSALS.crossSite,
    ],
    ['a valid cookie without an Origin', () => ({ cookie: mine }), REFUSALS.crossSite],
    [
      'a wrong operator token',
      () => ({ authorization: 'Bearer wrong-token', cookie: mine, origin: OWN_ORIGIN }),
      REFUSALS.badToken,
    ],
  ])('refuses %s with 403, changing nothing', async (_who, headers, message) => {
    const { id, record } = await upload({ failed: true });
    const before = await t.repository.getById(id);
    for (const method of ['DELETE', 'POST'] as const) {
      const response = await change(method, id, headers());
      expect(response.statusCode, method).toBe(403);
      expect(response.json()).toEqual({ error: 'forbidden', message });
    }
    await expectUnchanged(id, record.originalKey, before);
    expect(requested).toEqual([]);
  });

  it('the uploader’s browser deletes its image: row, original and thumbnail gone; again 404', async () => {
    const { id, record } = await upload();
    const response = await change('DELETE', id, {
      cookie: mine,
      origin: OWN_ORIGIN,
      'sec-fetch-site': 'same-origin',
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await t.repository.getById(id)).toBeNull();
    expect(await t.storage.originals.head(record.originalKey)).toBeNull();
    expect(await t.storage.thumbnails.head(thumbnailKeyFor(record.originalKey))).toBeNull();
    expect((await change('DELETE', id, { cookie: mine, origin: OWN_ORIGIN })).statusCode).toBe(404);
    expect((await t.app.inject(`/api/images/${id}`)).statusCode).toBe(404);
  });

  it.runIf(backend.s3)(
    'on versioned S3, DELETE leaves no version and no delete marker of the original or the thumbnail',
    async () => {
      if (!versionsOf) throw new Error('the S3 back end counts versions');
      const { id, record } = await upload();
      const thumbnailKey = thumbnailKeyFor(record.originalKey);
      // Overwrites leave noncurrent versions behind, as renotify's copy and a redone thumbnail do.
      await t.storage.originals.put(record.originalKey, jpeg);
      await t.storage.thumbnails.put(thumbnailKey, Buffer.from('thumb, again'));
      expect(await versionsOf('originals', record.originalKey)).toBe(2);
      expect(await versionsOf('thumbnails', thumbnailKey)).toBe(2);

      const response = await change('DELETE', id, { authorization: `Bearer ${ADMIN}` });
      expect(response.statusCode).toBe(204);
      expect(await versionsOf('originals', record.originalKey)).toBe(0);
      expect(await versionsOf('thumbnails', thumbnailKey)).toBe(0);
    },
  );

  it('the operator’s token deletes and retries any image, from anywhere', async () => {
    const { id, record } = await upload({ failed: true, cookie: theirs });
    const auth = { authorization: `Bearer ${ADMIN}`, origin: 'https://elsewhere.example' };
    const retried = await change('POST', id, auth);
    expect(retried.statusCode).toBe(202);
    expect(requested).toEqual([
      { key: record.originalKey, stage: 'thumbnail' },
      { key: record.originalKey, stage: 'annotation' },
    ]);
    expect((await change('DELETE', id, auth)).statusCode).toBe(204);
    expect(await t.repository.getById(id)).toBeNull();
  });

  it('404 for an unknown id; 400 for a malformed one', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    for (const method of ['DELETE', 'POST'] as const) {
      expect((await change(method, 2_000_000_000, admin)).json()).toMatchObject({ error: 'not_found' });
      expect((await change(method, 2_000_000_000, admin)).statusCode).toBe(404);
      expect((await change(method, 'abc', admin)).statusCode).toBe(400);
      expect((await change(method, 0, admin)).statusCode).toBe(400);
    }
  });

  it('retry: 202 with the image, the stage pending again and sent to its worker', async () => {
    const { id, record } = await upload({ failed: true });
    const response = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN }, { stage: 'thumbnail' });
    expect(response.statusCode).toBe(202);
    const image = response.json();
    expect(image).toMatchObject({
      id,
      thumbnailStatus: 'pending',
      thumbnailError: null,
      annotationStatus: 'failed',
      annotationError: 'No annotation.',
    });
    expect(Object.keys(image).sort()).toEqual(
      Object.keys((await t.app.inject(`/api/images/${id}`)).json()).sort(),
    );
    expect(requested).toEqual([{ key: record.originalKey, stage: 'thumbnail' }]);
    // 409 while that stage is pending (alone, or in "both"); the other stage may still be retried.
    for (const body of [{ stage: 'thumbnail' }, undefined]) {
      const busy = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN }, body);
      expect(busy.statusCode).toBe(409);
      expect(busy.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('thumbnail') });
    }
    const annotation = await change(
      'POST',
      id,
      { cookie: mine, origin: OWN_ORIGIN },
      { stage: 'annotation' },
    );
    expect(annotation.statusCode).toBe(202);
    expect(annotation.json()).toMatchObject({ thumbnailStatus: 'pending', annotationStatus: 'pending' });
  });

  it('retry with no body retries both stages', async () => {
    const { id } = await upload({ failed: true });
    const response = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ thumbnailStatus: 'pending', annotationStatus: 'pending' });
    expect(requested.map((r) => r.stage)).toEqual(['thumbnail', 'annotation']);
  });

  it('409 for a fresh upload, whose stages are still pending', async () => {
    const { id } = await upload();
    const response = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN });
    expect(response.statusCode).toBe(409);
  });

  it.each([
    ['an unknown stage', { stage: 'original' }],
    ['an unknown field', { stage: 'thumbnail', force: true }],
    ['not an object', ['thumbnail']],
  ])('400 for a body with %s, changing nothing', async (_what, body) => {
    const { id, record } = await upload({ failed: true });
    const before = await t.repository.getById(id);
    const response = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN }, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    await expectUnchanged(id, record.originalKey, before);
  });

  it('503 when the retry cannot be sent: undone (failed, with its reason), so the same retry works later', async () => {
    const { id } = await upload({ failed: true });
    requestsFail = true;
    const response = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN }, { stage: 'annotation' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.json()).toEqual({ error: 'unavailable', message: RETRY_NOT_SENT });
    expect(await t.repository.getById(id)).toMatchObject({
      annotationStatus: 'failed',
      annotationError: 'No annotation.',
    });
    requestsFail = false;
    const again = await change('POST', id, { cookie: mine, origin: OWN_ORIGIN }, { stage: 'annotation' });
    expect(again.statusCode).toBe(202);
    expect((await t.repository.getById(id))!.annotationStatus).toBe('pending');
  });

  it('a delete whose storage does not answer is a 503 that leaves the image for a repeated DELETE', async () => {
    const { id, record, content } = await upload();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    // The same app, with the thumbnails' delete failing: the row must stay.
    const failing = withMethod(t.storage.thumbnails, 'delete', async () => {
      throw refused;
    });
    const { deleteImage } = await import('../src/routes/actions.ts');
    await expect(
      deleteImage(record, t.repository, { originals: t.storage.originals, thumbnails: failing }),
    ).rejects.toBe(refused);
    expect(await t.repository.getById(id)).not.toBeNull();
    // Its original is gone: the same bytes uploaded now are a new image, not "a duplicate" of it.
    const reupload = await postUpload(t.app, [{ filename: 'again.jpg', content }]);
    expect(reupload.statusCode).toBe(201);
    expect(reupload.json().images[0]).toMatchObject({ duplicate: false });
    expect(reupload.json().images[0].id).not.toBe(id);
    const again = await change('DELETE', id, { cookie: mine, origin: OWN_ORIGIN });
    expect(again.statusCode).toBe(204);
    expect(await t.repository.getById(id)).toBeNull();
    expect(await t.storage.thumbnails.head(thumbnailKeyFor(record.originalKey))).toBeNull();
  });

  describe('pages', () => {
    const page = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ url, headers: { accept: 'text/html', ...headers } });

    it('GET /images/:id shows the image, its facts and statuses, escaped; buttons only for its uploader', async () => {
      const { id } = await upload({ failed: true });
      const stranger = await page(`/images/${id}`);
      expect(stranger.statusCode).toBe(200);
      expect(stranger.body).toContain('photo &lt;b&gt;.jpg');
      expect(stranger.body).not.toContain('photo <b>.jpg');
      expect(stranger.body).toContain('600 × 450');
      expect(stranger.body).toContain('JPEG');
      expect(stranger.body).toMatch(/KiB/);
      expect(stranger.body).toContain('Thumbnail failed: No thumbnail.');
      expect(stranger.body).toContain('No annotation: No annotation.');
      expect(stranger.body).not.toContain('data-action=');
      const owner = await page(`/images/${id}`, { cookie: mine });
      expect(owner.body).toContain('data-action="delete"');
      expect(owner.body).toContain('data-action="retry"');
      expect((await page(`/images/${id}`, { cookie: theirs })).body).not.toContain('data-action=');
      expect((await page(`/images/${id}`, { authorization: `Bearer ${ADMIN}` })).body).toContain(
        'data-action="delete"',
      );
    });

    it.each(['999999999', '0', 'abc', '1e3', '-1', '99999999999'])(
      'GET /images/%s is the 404 page',
      async (id) => {
        const response = await page(`/images/${id}`);
        expect(response.statusCode).toBe(404);
        expect(response.headers['content-type']).toMatch(/text\/html/);
        expect(response.body).toContain('Not found');
      },
    );

    it('the gallery shows buttons to the uploader only, even from the shared page cache', async () => {
      const { id } = await upload({ failed: true });
      const owner = await page('/gallery', { cookie: mine });
      const other = await page('/gallery', { cookie: theirs });
      const stranger = await page('/gallery');
      const card = (body: string) =>
        body.slice(
          body.indexOf(`data-id="${id}"`),
          body.indexOf('</article>', body.indexOf(`data-id="${id}"`)),
        );
      expect(card(owner.body)).toContain('data-action="delete"');
      expect(card(owner.body)).toContain('data-action="retry"');
      expect(card(owner.body)).toContain(`href="/images/${id}"`);
      for (const body of [other.body, stranger.body]) expect(card(body)).not.toContain('data-action=');
      // Browser B sees buttons on its own image, not on A's.
      expect(other.body).toContain('data-action="delete"');
      expect(stranger.body).not.toContain('data-action=');
    });
  });
});

describe('one app on SQLite', () => {
  it('the upload page gives a browser without a cookie its id, before its uploads; one with a cookie keeps it', async () => {
    const t = await buildTestApp();
    try {
      const first = await t.app.inject('/');
      const cookie = cookieFrom(first);
      const again = await t.app.inject({ url: '/', headers: { cookie } });
      expect(again.cookies.find((c) => c.name === UPLOADER_COOKIE)).toBeUndefined();
      const { payload, headers } = (await import('./helper.ts')).multipart([
        { filename: 'a.jpg', content: fresh() },
      ]);
      const uploaded = await t.app.inject({
        method: 'POST',
        url: '/upload',
        payload,
        headers: { ...headers, accept: 'application/json', cookie },
      });
      expect(cookieFrom(uploaded)).toBe(cookie);
    } finally {
      await t.close();
    }
  });

  it('a page or upload another site makes the browser request sets no cookie (it would replace the browser’s own id)', async () => {
    const t = await buildTestApp();
    try {
      const linked = await t.app.inject({ url: '/', headers: { 'sec-fetch-site': 'cross-site' } });
      expect(linked.statusCode).toBe(200);
      expect(linked.cookies.find((c) => c.name === UPLOADER_COOKIE)).toBeUndefined();
      const { payload, headers } = (await import('./helper.ts')).multipart([
        { filename: 'from-elsewhere.jpg', content: fresh() },
      ]);
      const posted = await t.app.inject({
        method: 'POST',
        url: '/upload',
        payload,
        headers: { ...headers, accept: 'application/json', 'sec-fetch-site': 'cross-site' },
      });
      expect(posted.statusCode).toBe(201);
      expect(posted.cookies.find((c) => c.name === UPLOADER_COOKIE)).toBeUndefined();
      // Stored, but nobody's: only the operator may change it.
      const row = await t.repository.getById(posted.json().images[0].id);
      expect(row!.uploader).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('another Authorization scheme (a password prompt’s Basic credentials) leaves the cookie to decide', async () => {
    const t = await buildTestApp({ ADMIN_TOKEN: ADMIN });
    try {
      const uploaded = await postUpload(t.app, [{ filename: 'a.jpg', content: fresh() }]);
      const cookie = cookieFrom(uploaded);
      const id = uploaded.json().images[0].id as number;
      const basic = `Basic ${Buffer.from('team:secret').toString('base64')}`;
      const response = await t.app.inject({
        method: 'DELETE',
        url: `/api/images/${id}`,
        headers: { cookie, origin: OWN_ORIGIN, authorization: basic },
      });
      expect(response.statusCode).toBe(204);
      expect(await t.repository.getById(id)).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('DELETE answers 503 when storage does not answer, and a repeated DELETE finishes', async () => {
    let down = true;
    const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const t = await buildTestApp(
      { ADMIN_TOKEN: ADMIN },
      {},
      {
        wrapStorage: (storage) => ({
          originals: storage.originals,
          thumbnails: withMethod(storage.thumbnails, 'delete', async (key: string) => {
            if (down) throw refused();
            return storage.thumbnails.delete(key);
          }),
        }),
      },
    );
    try {
      await postUpload(t.app, [{ filename: 'a.jpg', content: fresh() }]);
      const [row] = (await t.repository.listPage({ limit: 1 })).images;
      const del = () =>
        t.app.inject({
          method: 'DELETE',
          url: `/api/images/${row!.id}`,
          headers: { authorization: `Bearer ${ADMIN}`, accept: 'application/json' },
        });
      const first = await del();
      expect(first.statusCode).toBe(503);
      expect(first.headers['retry-after']).toBeDefined();
      expect(first.json()).toMatchObject({ error: 'unavailable' });
      expect(await t.repository.getById(row!.id)).not.toBeNull();
      down = false;
      expect((await del()).statusCode).toBe(204);
      expect(await t.repository.getById(row!.id)).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('is Secure when the request came over HTTPS (X-Forwarded-Proto with TRUST_PROXY)', async () => {
    const t = await buildTestApp({ TRUST_PROXY: 'true' });
    try {
      const { payload, headers } = (await import('./helper.ts')).multipart([
        { filename: 'a.jpg', content: fresh() },
      ]);
      const response = await t.app.inject({
        method: 'POST',
        url: '/upload',
        payload,
        headers: { ...headers, accept: 'application/json', 'x-forwarded-proto': 'https' },
      });
      expect(response.cookies.find((c) => c.name === UPLOADER_COOKIE)?.secure).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('the default retry delivery (raising the event again) cannot reach workers from a bare directory: 503', async () => {
    const t = await buildTestApp({ ADMIN_TOKEN: ADMIN });
    try {
      await postUpload(t.app, [{ filename: 'a.jpg', content: fresh() }]);
      const [row] = (await t.repository.listPage({ limit: 1 })).images;
      await t.repository.markFailed({ originalKey: row!.originalKey, stage: 'thumbnail', reason: 'x' });
      await t.repository.markFailed({ originalKey: row!.originalKey, stage: 'annotation', reason: 'x' });
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/images/${row!.id}/retry`,
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(response.statusCode).toBe(503);
      // Nothing could take it: the image is as it was.
      expect((await t.repository.getById(row!.id))!.thumbnailStatus).toBe('failed');
    } finally {
      await t.close();
    }
  });
});

function tamper(cookie: string): string {
  // The value is "<id>.<signature>": another id under the same signature.
  const [name, value] = cookie.split('=') as [string, string];
  const decoded = decodeURIComponent(value);
  const first = decoded[0] === 'A' ? 'B' : 'A';
  return `${name}=${encodeURIComponent(first + decoded.slice(1))}`;
}
