import { PermanentFailure } from '@annot/worker-runtime';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, readFixture, thumbnailOfBytes } from './support.ts';

async function refusal(input: Uint8Array, overrides = {}): Promise<PermanentFailure> {
  const error = await thumbnailOfBytes(input, { ...DEFAULTS, ...overrides }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PermanentFailure);
  return error as PermanentFailure;
}

describe('refused originals', () => {
  it('refuses the 65536 x 65536 PNG bomb by the pixel limit, saying how big it is', async () => {
    const error = await refusal(await readFixture('65536-uint32-limit.png'));
    expect(error.reason).toBe(
      'The file is 65536 × 65536 pixels (4,295 megapixels), over the limit of 60 megapixels',
    );
  });

  it('honours a configured pixel limit on an ordinary photo', async () => {
    const error = await refusal(await readFixture('flowers.jpeg'), { maxInputPixels: 2_000_000 });
    expect(error.reason).toBe(
      'The file is 1920 × 1080 pixels (2.1 megapixels), over the limit of 2 megapixels',
    );
  });

  it('refuses the truncated corrupt-header.jpg as incomplete', async () => {
    const error = await refusal(await readFixture('corrupt-header.jpg'));
    expect(error.reason).toBe(
      'The file is incomplete: the JPEG data ends early, as if the file was cut off while it was copied or uploaded',
    );
  });

  it('refuses a JPEG whose frame header is damaged, in plain words, keeping the library text for the logs', async () => {
    const whole = Buffer.from(await readFixture('flowers.jpeg'));
    const sof = whole.indexOf(Buffer.from([0xff, 0xc0]));
    whole.set([0, 0], sof + 5); // height 0
    const error = await refusal(whole);
    expect(error.reason).toBe('The file is not a readable image: its JPEG header is damaged or cut short');
    expect(error.detail).toMatch(/VipsJpeg/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses SVG without rasterising it', async () => {
    const error = await refusal(await readFixture('circle.svg'));
    expect(error.reason).toBe(
      'The file is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted',
    );
    expect(error.cause).toBeUndefined();
  });

  it('refuses formats outside the accepted five (TIFF) and non-images', async () => {
    const tiff = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .tiff()
      .toBuffer();
    expect((await refusal(tiff)).reason).toMatch(/^The file is not a supported image \(it is a TIF file\)/);
    expect((await refusal(Buffer.from('hello, this is not an image at all'))).reason).toMatch(
      /^The file is not a supported image: only/,
    );
  });
});
