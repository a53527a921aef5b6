import { Readable } from 'node:stream';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PermanentThumbnailError } from '../src/errors.ts';
import { makeThumbnail } from '../src/thumbnail.ts';
import { DEFAULTS, readFixture } from './support.ts';

async function refusal(input: Uint8Array | Readable, overrides = {}): Promise<PermanentThumbnailError> {
  const error = await makeThumbnail(input, { ...DEFAULTS, ...overrides }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PermanentThumbnailError);
  return error as PermanentThumbnailError;
}

describe('refused originals', () => {
  it('refuses the 65536 x 65536 PNG bomb by the pixel limit, saying how big it is', async () => {
    const error = await refusal(await readFixture('65536-uint32-limit.png'));
    expect(error.reason).toBe('Image is 65536 x 65536 = 4.3 gigapixels, over the 60 MP limit');
  });

  it('honours a configured pixel limit on an ordinary photo', async () => {
    const error = await refusal(await readFixture('flowers.jpeg'), { maxInputPixels: 2_000_000 });
    expect(error.reason).toBe('Image is 1920 x 1080 = 2.1 MP, over the 2 MP limit');
  });

  it('refuses the truncated corrupt-header.jpg as corrupt', async () => {
    const error = await refusal(await readFixture('corrupt-header.jpg'));
    expect(error.reason).toBe('The image file is corrupt or truncated');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses a JPEG cut off half way through its pixel data', async () => {
    const whole = await readFixture('flowers.jpeg');
    const error = await refusal(whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(error.reason).toBe('The image file is corrupt or truncated');
  });

  it('refuses SVG without rasterising it', async () => {
    const error = await refusal(await readFixture('circle.svg'));
    expect(error.reason).toMatch(/^Not a supported image \(SVG is not accepted/);
    expect(error.cause).toBeUndefined();
  });

  it('refuses formats outside the accepted five (TIFF) and non-images', async () => {
    const tiff = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .tiff()
      .toBuffer();
    expect((await refusal(tiff)).reason).toMatch(/^Not a supported image \(TIFF;/);
    expect((await refusal(Buffer.from('hello, this is not an image at all'))).reason).toMatch(
      /unrecognised file type/,
    );
  });

  it('stops reading a stream that passes the byte limit', async () => {
    const stream = Readable.from([Buffer.alloc(600_000), Buffer.alloc(600_000)]);
    const error = await refusal(stream, { maxInputBytes: 1024 * 1024 });
    expect(error.reason).toBe('The file is over the 1 MB limit for images');
  });
});
