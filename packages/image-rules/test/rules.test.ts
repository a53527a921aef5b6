import { readFileSync } from 'node:fs';
import { ACCEPTED_FIXTURES, fixturePath } from '@annot/testing';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_FORMATS,
  ACCEPTED_NAMES,
  classifyDecodeError,
  detectFormat,
  formatBytes,
  formatInfo,
  formatMegapixels,
  formatOfContentType,
  problems,
  sentence,
} from '../src/index.ts';

describe('the accepted formats', () => {
  it('are listed once, with names, types and extensions', () => {
    expect(ACCEPTED_FORMATS.map((f) => f.format)).toEqual(['jpeg', 'png', 'webp', 'gif', 'avif']);
    expect(ACCEPTED_NAMES).toBe('JPEG, PNG, WebP, GIF or AVIF');
    expect(formatOfContentType('IMAGE/PNG')?.name).toBe('PNG');
    expect(formatOfContentType('image/svg+xml')).toBeUndefined();
  });

  it.each(ACCEPTED_FIXTURES.map((f) => [f.name, f.type]))('detects %s as %s', async (name, type) => {
    const detection = await detectFormat(readFileSync(fixturePath(name)));
    expect(detection.accepted && detection.info.contentType).toBe(type);
  });

  it('names what it refuses, in plain words', async () => {
    const svg = await detectFormat(readFileSync(fixturePath('circle.svg')));
    expect(svg.accepted).toBe(false);
    expect(!svg.accepted && sentence(svg.problem)).toBe(
      'The file is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted',
    );
    const pdf = await detectFormat(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'));
    expect(!pdf.accepted && pdf.problem.predicate).toMatch(/\(it is a PDF file\)/);
    const empty = await detectFormat(new Uint8Array());
    expect(!empty.accepted && empty.problem.code).toBe('empty_file');
  });

  it('an animated PNG is a PNG', async () => {
    // acTL before IDAT makes file-type report image/apng.
    const png = readFileSync(fixturePath('with-alpha.png'));
    const actl = Buffer.from([0, 0, 0, 8, 0x61, 0x63, 0x54, 0x4c, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const apng = Buffer.concat([png.subarray(0, 33), actl, png.subarray(33)]);
    const detection = await detectFormat(apng);
    expect(detection.accepted && detection.info.format).toBe('png');
  });
});

describe('sizes in messages', () => {
  it('writes bytes in MiB and pixels in megapixels, the units the upload page uses', () => {
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
    expect(formatBytes(53_582_643)).toBe('51.1 MiB');
    expect(formatBytes(139_435)).toBe('136.2 KiB');
    expect(formatBytes(40_960)).toBe('40 KiB');
    expect(formatBytes(12)).toBe('12 bytes');
    expect(formatMegapixels(60_000_000)).toBe('60 megapixels');
    expect(formatMegapixels(4_294_967_296)).toBe('4,295 megapixels');
    expect(sentence(problems.tooLarge(53_582_643, 50 * 1024 * 1024))).toBe(
      'The file is 51.1 MiB, over the limit of 50 MiB for one image',
    );
    expect(sentence(problems.tooLarge(50 * 1024 * 1024 + 1, 50 * 1024 * 1024))).toBe(
      'The file is over the limit of 50 MiB for one image',
    );
    expect(sentence(problems.tooManyPixels(65_536, 65_536, 60_000_000))).toBe(
      'The file is 65536 × 65536 pixels (4,295 megapixels), over the limit of 60 megapixels',
    );
  });
});

describe('decode errors', () => {
  const jpeg = formatInfo('jpeg');
  it('become plain sentences; the library text stays in the detail', async () => {
    const cut = readFileSync(fixturePath('flowers.jpeg')).subarray(0, 30_000);
    const error = await sharp(cut, { failOn: 'error' })
      .jpeg()
      .toBuffer()
      .catch((e: unknown) => e);
    const problem = classifyDecodeError(error, { format: jpeg, maxInputPixels: 1e8 })!;
    expect(sentence(problem)).toBe(
      'The file is incomplete: the JPEG data ends early, as if the file was cut off while it was copied or uploaded',
    );
    expect(problem.detail).toMatch(/VipsJpeg/);
    const webp = readFileSync(fixturePath('4.webp')).subarray(0, 20_000);
    const webpError = await sharp(webp)
      .metadata()
      .catch((e: unknown) => e);
    const webpProblem = classifyDecodeError(webpError, { format: formatInfo('webp'), maxInputPixels: 1e8 })!;
    expect(sentence(webpProblem)).toBe(
      'The file is not a readable image: its WebP header is damaged or cut short',
    );
  });

  it('are never library words', async () => {
    const messages = [
      'VipsJpeg: premature end of JPEG image',
      'Input buffer has corrupt header: webp: unable to parse image',
      'vipspng: libpng read error',
      'Input image exceeds pixel limit',
      'heif: Unsupported feature: Unsupported data version',
      'gifload_buffer: no frames in GIF',
      'timeout: 30% complete',
    ];
    for (const message of messages) {
      const problem = classifyDecodeError(new Error(message), { format: jpeg, maxInputPixels: 60e6 })!;
      expect(problem.predicate).not.toMatch(/vips|heif|libpng|gifload|buffer|webp:|input/i);
    }
  });

  it('leave out-of-memory to a retry', () => {
    expect(
      classifyDecodeError(new Error('out of memory'), { format: jpeg, maxInputPixels: 1 }),
    ).toBeUndefined();
  });
});
