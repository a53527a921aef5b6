import { readFileSync } from 'node:fs';
import { fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectNothingStored, postUpload, type TestApp, type Upload } from './helper.ts';

const landscape = fixturePath('Landscape_1.jpg');
const jpegBytes = readFileSync(landscape);
const pngBytes = readFileSync(fixturePath('with-alpha.png'));
const gifBytes = readFileSync(fixturePath('rotating-squares.gif'));
/** Bytes that start as one format and go on as another: the header's claim is never believed alone. */
const mixed = (name: string, head: Buffer, body: Buffer): Upload => ({
  filename: name,
  content: Buffer.concat([head, body]),
  contentType: 'image/jpeg',
});
const svgWithScript =
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
  '<script>alert(document.cookie)</script><circle cx="5" cy="5" r="4"/></svg>';

/** Each refusal: what is sent, and the status, code and message it must get. Nothing may be stored. */
const REFUSALS: readonly { name: string; upload: Upload; status: number; error: string; message: RegExp }[] =
  [
    {
      name: 'a zero-byte file',
      upload: { filename: 'empty.jpg', content: Buffer.alloc(0), contentType: 'image/jpeg' },
      status: 400,
      error: 'empty_file',
      message: /^"empty\.jpg" is empty/,
    },
    {
      name: 'a text file named .jpg',
      upload: {
        filename: 'notes.jpg',
        content: 'just some text, not a JPEG\n'.repeat(50),
        contentType: 'image/jpeg',
      },
      status: 400,
      error: 'unsupported_type',
      message:
        /^"notes\.jpg" is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted$/,
    },
    {
      name: 'a JPEG with a corrupt header',
      upload: { filename: 'corrupt-header.jpg', content: readFileSync(fixturePath('corrupt-header.jpg')) },
      status: 400,
      error: 'corrupt_image',
      message: /^"corrupt-header\.jpg" is not a readable image: its JPEG header is damaged or cut short$/,
    },
    {
      name: 'a PNG whose header claims 65536 x 65536 pixels',
      upload: {
        filename: '65536-uint32-limit.png',
        content: readFileSync(fixturePath('65536-uint32-limit.png')),
      },
      status: 422,
      error: 'too_many_pixels',
      message: /is 65536 × 65536 pixels \(4,295 megapixels\), over the limit of 60 megapixels$/,
    },
    {
      name: 'an SVG with a script',
      upload: { filename: 'evil.svg', content: svgWithScript, contentType: 'image/svg+xml' },
      status: 400,
      error: 'unsupported_type',
      message: /not a supported image/,
    },
    {
      name: 'the SVG fixture, renamed .png',
      upload: {
        filename: 'circle.png',
        content: readFileSync(fixturePath('circle.svg')),
        contentType: 'image/png',
      },
      status: 400,
      error: 'unsupported_type',
      message: /not a supported image/,
    },
    {
      name: 'a JPEG header (SOI, JFIF) followed by a whole PNG',
      upload: mixed('jpeg-then-png.jpg', jpegBytes.subarray(0, 20), pngBytes),
      status: 400,
      error: 'corrupt_image',
      message: /^"jpeg-then-png\.jpg" is not a readable image: its JPEG header is damaged or cut short$/,
    },
    {
      name: 'a GIF header followed by a whole JPEG',
      upload: mixed('gif-then-jpeg.jpg', gifBytes.subarray(0, 13), jpegBytes),
      status: 400,
      error: 'corrupt_image',
      message:
        /^"gif-then-jpeg\.jpg" is damaged: its GIF data is broken and cannot be turned back into a picture$/,
    },
    {
      name: 'a WebP RIFF header followed by a whole JPEG',
      upload: mixed(
        'webp-then-jpeg.jpg',
        Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 1, 0]), Buffer.from('WEBPVP8 ')]),
        jpegBytes,
      ),
      status: 400,
      error: 'corrupt_image',
      message: /^"webp-then-jpeg\.jpg" is not a readable image: its WebP header is damaged or cut short$/,
    },
    {
      // Only the 8-byte signature: without its IHDR chunk it is no PNG at all.
      name: 'a PNG signature followed by a whole JPEG',
      upload: mixed('png-then-jpeg.png', pngBytes.subarray(0, 8), jpegBytes),
      status: 400,
      error: 'unsupported_type',
      message: /^"png-then-jpeg\.png" is not a supported image/,
    },
    {
      name: 'a PDF',
      upload: {
        filename: 'doc.jpg',
        content: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'.repeat(20)),
      },
      status: 400,
      error: 'unsupported_type',
      message: /not a supported image \(it is a PDF file\)/,
    },
  ];

describe('POST /upload refuses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it.each(REFUSALS)(
    '$name with $status $error, storing nothing',
    async ({ upload, status, error, message }) => {
      const response = await postUpload(t.app, [upload]);

      expect(response.statusCode).toBe(status);
      const body = response.json();
      expect(body.error).toBe(error);
      expect(body.message).toMatch(message);
      expect(body.refused).toEqual([expect.objectContaining({ filename: upload.filename, status, error })]);
      await expectNothingStored(t);
    },
  );

  it.each(REFUSALS)(
    '$name from a browser form with an HTML page that says why',
    async ({ upload, status }) => {
      const response = await postUpload(t.app, [upload], 'text/html,application/xhtml+xml');

      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('Upload refused');
      expect(response.body).toContain(upload.filename);
      await expectNothingStored(t);
    },
  );

  it('a request with no file (an empty file input) with 400 no_file', async () => {
    const response = await postUpload(t.app, [{ filename: '', content: Buffer.alloc(0) }]);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'no_file', message: expect.stringMatching(/No file was sent/) });
    await expectNothingStored(t);
  });

  it('a body that is not multipart with 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: { image: 'x' },
    });

    expect(response.statusCode).toBe(415);
    expect(response.json().message).toMatch(/multipart\/form-data/);
  });

  it('files in another field, as no file at all', async () => {
    const response = await postUpload(t.app, [
      { field: 'file', filename: 'a.jpg', content: readFileSync(landscape) },
    ]);

    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('no_file');
    await expectNothingStored(t);
  });
});
