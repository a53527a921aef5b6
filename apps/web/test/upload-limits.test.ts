import { readFileSync, statSync } from 'node:fs';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allRows,
  buildTestApp,
  expectNothingStored,
  postUpload,
  storedFiles,
  type TestApp,
} from './helper.ts';

const landscape = fixturePath('Landscape_1.jpg');

describe('POST /upload with a size limit', () => {
  const size = statSync(landscape).size;
  let overLimit: TestApp;
  let atLimit: TestApp;
  beforeAll(async () => {
    overLimit = await buildTestApp({ MAX_UPLOAD_BYTES: String(size - 1) });
    atLimit = await buildTestApp({ MAX_UPLOAD_BYTES: String(size) });
  });
  afterAll(async () => {
    await overLimit.close();
    await atLimit.close();
  });

  it('refuses a file one byte over it with 413, deleting the row and aborting the object', async () => {
    const response = await postUpload(overLimit.app, [
      { filename: 'Landscape_1.jpg', content: readFileSync(landscape) },
    ]);

    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      error: 'too_large',
      message: '"Landscape_1.jpg" is over the limit of 136.2 KiB for one image',
    });
    await expectNothingStored(overLimit);
  });

  it('accepts a file of exactly the limit', async () => {
    const response = await postUpload(atLimit.app, [
      { filename: 'Landscape_1.jpg', content: readFileSync(landscape) },
    ]);

    expect(response.statusCode).toBe(201);
    const [row] = await allRows(atLimit);
    expect(row).toMatchObject({ filename: 'Landscape_1.jpg', byteSize: size });
    expect(await storedFiles(atLimit, 'originals')).toEqual([row!.originalKey]);
  });

  it('judges each file on its own: the over-size one is refused, the others stored', async () => {
    const small = readFileSync(fixturePath('with-alpha.png'));
    const response = await postUpload(overLimit.app, [
      { filename: 'big.jpg', content: readFileSync(landscape) },
      { filename: 'small.png', content: small },
      { filename: 'notes.jpg', content: 'text' },
    ]);

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.images).toEqual([
      {
        id: expect.any(Number),
        filename: 'small.png',
        annotationStatus: 'pending',
        thumbnailStatus: 'pending',
        duplicate: false,
      },
    ]);
    expect(body.refused.map((r: { filename: string; status: number }) => [r.filename, r.status])).toEqual([
      ['big.jpg', 413],
      ['notes.jpg', 400],
    ]);
    const rows = await allRows(overLimit);
    expect(rows.map((r) => r.filename)).toEqual(['small.png']);
    expect(await storedFiles(overLimit, 'originals')).toEqual([rows[0]!.originalKey]);
  });
});

describe('POST /upload with a file-count limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ MAX_FILES_PER_UPLOAD: '2' });
  });
  afterAll(() => t.close());

  it('stores the files within the limit and refuses the rest with 413 too_many_files', async () => {
    const jpeg = readFileSync(landscape);
    const response = await postUpload(t.app, [
      { filename: 'a.jpg', content: distinctCopy(jpeg, 'a') },
      { filename: 'b.jpg', content: distinctCopy(jpeg, 'b') },
      { filename: 'c.jpg', content: distinctCopy(jpeg, 'c') },
    ]);

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.images.map((i: { filename: string }) => i.filename)).toEqual(['a.jpg', 'b.jpg']);
    expect(body.refused).toEqual([
      {
        filename: '(rest of the upload)',
        status: 413,
        error: 'too_many_files',
        message: 'At most 2 files can be sent at once: the rest were not read',
      },
    ]);
    expect((await allRows(t)).map((r) => r.filename).sort()).toEqual(['a.jpg', 'b.jpg']);
    expect(await storedFiles(t, 'originals')).toHaveLength(2);
  });
});

describe('POST /upload with a body cut short', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('refuses the unfinished file with 400, storing nothing', async () => {
    const boundary = '----cut';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="cut.jpg"\r\n\r\n`,
      ),
      readFileSync(landscape).subarray(0, 50_000),
    ]);
    const response = await t.app.inject({
      method: 'POST',
      url: '/upload',
      payload,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json' },
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'incomplete_upload',
      message: '"cut.jpg" was cut off before it was complete',
    });
    await expectNothingStored(t);
  });
});
