import { readFileSync } from 'node:fs';
import type { PutResult } from '@annot/storage';
import { ACCEPTED_FIXTURES, distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allRows, buildTestApp, postUpload, storedFiles, type TestApp, withMethod } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

/** What the header inspection must report: the detected type and the dimensions as displayed. */
const EXPECTED: Record<string, { contentType: string; ext: string; width: number; height: number }> = {
  'Landscape_1.jpg': { contentType: 'image/jpeg', ext: '.jpg', width: 600, height: 450 },
  // Stored 450 x 600 with EXIF orientation 6: displayed as landscape.
  'Landscape_6.jpg': { contentType: 'image/jpeg', ext: '.jpg', width: 600, height: 450 },
  'Portrait_8.jpg': { contentType: 'image/jpeg', ext: '.jpg', width: 450, height: 600 },
  // Its SOF segment sits 594 KB in, behind a large ICC profile.
  'Channel_digital_image_CMYK_color.jpg': { contentType: 'image/jpeg', ext: '.jpg', width: 500, height: 333 },
  'with-alpha.png': { contentType: 'image/png', ext: '.png', width: 256, height: 192 },
  '4.webp': { contentType: 'image/webp', ext: '.webp', width: 1024, height: 772 },
  'rotating-squares.gif': { contentType: 'image/gif', ext: '.gif', width: 80, height: 80 },
  'pitm.avif': { contentType: 'image/avif', ext: '.avif', width: 4096, height: 800 },
};

describe('POST /upload accepts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it.each(Object.entries(EXPECTED))('%s, recording its real type and dimensions', async (name, expected) => {
    const content = readFileSync(fixturePath(name));
    const response = await postUpload(t.app, [
      { filename: name, content, contentType: 'application/octet-stream' },
    ]);

    expect(response.statusCode).toBe(201);
    const { images, refused } = response.json();
    expect(refused).toEqual([]);
    expect(images).toEqual([
      {
        id: expect.any(Number),
        filename: name,
        annotationStatus: 'pending',
        thumbnailStatus: 'pending',
        duplicate: false,
      },
    ]);
    const row = await t.repository.getById(images[0].id);
    const { ext: _ext, ...columns } = expected;
    expect(row).toMatchObject({ ...columns, byteSize: content.length });
    expect(row!.originalKey).toMatch(new RegExp(`^uploads/[0-9a-z]{26}/[a-z0-9._-]+\\${expected.ext}$`));
    const stored = await t.storage.originals.getBytes(row!.originalKey);
    expect(Buffer.from(stored).equals(content)).toBe(true);
    expect((await t.storage.originals.head(row!.originalKey))?.contentType).toBe(expected.contentType);
  });

  it('every accepted fixture in one request, each stored once', async () => {
    const fresh = await buildTestApp();
    try {
      const files = ACCEPTED_FIXTURES.map((f) => ({
        filename: f.name,
        content: readFileSync(fixturePath(f.name)),
      }));
      const response = await postUpload(fresh.app, files);

      expect(response.statusCode).toBe(201);
      expect(response.json().images.map((i: { filename: string }) => i.filename)).toEqual(
        files.map((f) => f.filename),
      );
      expect((await allRows(fresh)).length).toBe(files.length);
    } finally {
      await fresh.close();
    }
  });

  it('a file whose name claims another type, keyed by its real type', async () => {
    const response = await postUpload(t.app, [
      { filename: 'holiday.gif', content: distinctCopy(jpeg, 'holiday'), contentType: 'image/gif' },
    ]);

    expect(response.statusCode).toBe(201);
    const row = await t.repository.getById(response.json().images[0].id);
    expect(row).toMatchObject({ filename: 'holiday.gif', contentType: 'image/jpeg' });
    expect(row!.originalKey).toMatch(/\/holiday\.jpg$/);
  });

  it('PNG bytes named .jpg and sent as image/jpeg, stored and keyed as the PNG they are', async () => {
    const png = readFileSync(fixturePath('with-alpha.png'));
    const response = await postUpload(t.app, [
      { filename: 'really-a-png.jpg', content: distinctCopy(png, 'really'), contentType: 'image/jpeg' },
    ]);

    expect(response.statusCode).toBe(201);
    const row = await t.repository.getById(response.json().images[0].id);
    expect(row).toMatchObject({ filename: 'really-a-png.jpg', contentType: 'image/png' });
    expect(row!.originalKey).toMatch(/\/really-a-png\.png$/);
    expect((await t.storage.originals.head(row!.originalKey))?.contentType).toBe('image/png');
  });

  it('a browser form post with 303 to the gallery', async () => {
    const response = await postUpload(
      t.app,
      [{ filename: 'form.jpg', content: distinctCopy(jpeg, 'form') }],
      'text/html,*/*;q=0.8',
    );

    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/gallery');
  });
});

describe('hostile filenames', () => {
  let t: TestApp;
  // Each test uploads the names it looks at, into its own app.
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t?.close());

  // 300 characters (code points), well over the 255 kept for display.
  const longUnicode = Array.from('Ünïcødé 写真 📷 '.repeat(30)).slice(0, 300).join('');
  const CASES = [
    { filename: '../../x', display: '../../x', keyName: 'x.jpg' },
    { filename: '..\\..\\windows\\x.jpg', display: '..\\..\\windows\\x.jpg', keyName: 'x.jpg' },
    {
      filename: '<img onerror=alert(1)>',
      display: '<img onerror=alert(1)>',
      keyName: 'img-onerror-alert-1.jpg',
    },
    {
      filename: "'><script>alert(1)</script>.jpg",
      display: "'><script>alert(1)</script>.jpg",
      keyName: null,
    },
    { filename: longUnicode, display: Array.from(longUnicode).slice(0, 255).join(''), keyName: null },
  ];

  it.each(CASES)(
    '$filename is accepted, keyed safely and kept only as display text',
    async ({ filename, display, keyName }) => {
      const response = await postUpload(t.app, [{ filename, content: distinctCopy(jpeg, filename) }]);

      expect(response.statusCode).toBe(201);
      const row = await t.repository.getById(response.json().images[0].id);
      expect(row!.filename).toBe(display);
      const [, id, name] = /^uploads\/([0-9a-z]{26})\/(.+)$/.exec(row!.originalKey) ?? [];
      expect(id).toBeDefined();
      expect(name).toMatch(/^[a-z0-9][a-z0-9._-]{0,98}\.jpg$/);
      if (keyName) expect(name).toBe(keyName);
      expect(await storedFiles(t, 'originals')).toContain(row!.originalKey);
    },
  );

  const uploadEveryCase = async () => {
    for (const { filename } of CASES) {
      const response = await postUpload(t.app, [{ filename, content: distinctCopy(jpeg, filename) }]);
      expect(response.statusCode).toBe(201);
    }
  };

  it('shows every hostile name escaped in the gallery, never as markup', async () => {
    await uploadEveryCase();
    const html = (await t.app.inject({ url: '/gallery', headers: { accept: 'text/html' } })).body;

    expect(html).not.toContain('<img onerror');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img onerror=alert(1)&gt;');
    expect(html).toContain('&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.jpg');
    expect(html).toContain('../../x');
    expect(html).toContain('写真 📷');
  });

  it('keeps the originals inside the bucket directory', async () => {
    await uploadEveryCase();
    const files = await storedFiles(t, 'originals');

    expect(files).toHaveLength(CASES.length);
    for (const file of files) expect(file).toMatch(/^uploads\/[0-9a-z]{26}\/[a-z0-9._-]+\.jpg$/);
  });
});

describe('the originals bucket', () => {
  // What S3 turns into an "Object Created" event (and the embedded system's store decorator too).
  it('sees one completed put per stored original, and none for a refused file', async () => {
    const stored: PutResult[] = [];
    const t = await buildTestApp(
      {},
      {},
      {
        wrapStorage: (storage) => ({
          ...storage,
          originals: withMethod(storage.originals, 'put', async (...args) => {
            const result = await storage.originals.put(...args);
            stored.push(result);
            return result;
          }),
        }),
      },
    );
    try {
      const response = await postUpload(t.app, [
        { filename: 'a.jpg', content: jpeg },
        { filename: 'b.txt', content: 'text' },
      ]);

      const [row] = await allRows(t);
      expect(response.statusCode).toBe(201);
      expect(stored).toEqual([{ key: row!.originalKey, size: jpeg.length, etag: expect.any(String) }]);
    } finally {
      await t.close();
    }
  });
});

describe('recording the size after the put', () => {
  it('only logs a failure: the original is stored and its row stays, with no size yet', async () => {
    const t = await buildTestApp(
      {},
      {},
      {
        wrapRepository: (repository) =>
          withMethod(repository, 'recordOriginalSize', async () => {
            throw new Error('database unavailable');
          }),
      },
    );
    try {
      const response = await postUpload(t.app, [{ filename: 'a.jpg', content: jpeg }]);

      expect(response.statusCode).toBe(201);
      const [row] = await allRows(t);
      expect(row).toMatchObject({ filename: 'a.jpg', byteSize: null, thumbnailStatus: 'pending' });
      expect(await storedFiles(t, 'originals')).toEqual([row!.originalKey]);
    } finally {
      await t.close();
    }
  });
});
