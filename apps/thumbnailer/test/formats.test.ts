import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, meanDifference, readFixture, thumbnailOf } from './support.ts';

describe('input formats', () => {
  it('thumbnails an animated GIF from its first frame, as a single-frame JPEG', async () => {
    const gif = await readFixture('rotating-squares.gif');
    expect((await sharp(gif).metadata()).pages).toBe(30);
    const thumbnail = await thumbnailOf('rotating-squares.gif');
    const meta = await sharp(thumbnail.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.pages ?? 1).toBe(1);
    expect(thumbnail.original).toMatchObject({ width: 80, height: 80 });

    const frame = (page: number) =>
      sharp(gif, { page })
        .resize(128, 128, { kernel: 'lanczos3' })
        .flatten({ background: DEFAULTS.background })
        .jpeg({ quality: DEFAULTS.quality })
        .toBuffer();
    const toFirst = await meanDifference(thumbnail.data, await frame(0));
    const toLater = await meanDifference(thumbnail.data, await frame(7));
    expect(toFirst).toBeLessThan(toLater);
  });

  it('accepts AVIF (pitm.avif, the primary item of five)', async () => {
    const thumbnail = await thumbnailOf('pitm.avif', { fit: 'inside' });
    expect(thumbnail.original).toMatchObject({
      width: 4096,
      height: 800,
    });
    expect(thumbnail.info).toEqual({ width: 128, height: 25, format: 'jpeg' });
    expect((await sharp(thumbnail.data).metadata()).format).toBe('jpeg');
  });

  it('accepts WebP', async () => {
    const thumbnail = await thumbnailOf('4.webp', { fit: 'inside' });
    expect(thumbnail.original).toMatchObject({
      width: 1024,
      height: 772,
    });
    expect(thumbnail.info).toEqual({ width: 128, height: 96, format: 'jpeg' });
    expect((await sharp(thumbnail.data).metadata()).format).toBe('jpeg');
  });
});
