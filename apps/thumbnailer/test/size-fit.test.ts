import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pixels, thumbnailOf } from './support.ts';

describe('size and fit settings', () => {
  it('defaults to a 128 x 128 JPEG cropped to fill (cover)', async () => {
    const thumbnail = await thumbnailOf('flowers.jpeg');
    expect(thumbnail.info).toEqual({ width: 128, height: 128, format: 'jpeg' });
    expect(await sharp(thumbnail.data).metadata()).toMatchObject({ format: 'jpeg', width: 128, height: 128 });
  });

  it('fits the whole image within the box with inside', async () => {
    const thumbnail = await thumbnailOf('flowers.jpeg', { fit: 'inside', width: 200, height: 200 });
    expect(thumbnail.info).toMatchObject({ width: 200, height: 113 });
  });

  it('honours another box size with cover', async () => {
    const thumbnail = await thumbnailOf('2569067123_aca715a2ee_o.jpg', { width: 320, height: 180 });
    expect(thumbnail.info).toMatchObject({ width: 320, height: 180 });
  });

  it('enlarges a small original to the box, so gallery tiles stay uniform', async () => {
    const thumbnail = await thumbnailOf('rotating-squares.gif');
    expect(thumbnail.original).toMatchObject({ width: 80, height: 80 });
    expect(thumbnail.info).toMatchObject({ width: 128, height: 128 });
  });

  it('uses the configured JPEG quality', async () => {
    const low = await thumbnailOf('flowers.jpeg', { quality: 20 });
    const high = await thumbnailOf('flowers.jpeg', { quality: 95 });
    expect(low.data.length).toBeLessThan(high.data.length / 2);
    expect((await pixels(low.data)).info.width).toBe(128);
  });
});
