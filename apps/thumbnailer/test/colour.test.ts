import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { meanDifference, readFixture, thumbnailOf } from './support.ts';

describe('colour space and depth', () => {
  it('converts a CMYK JPEG to 3-channel sRGB', async () => {
    expect((await sharp(await readFixture('Channel_digital_image_CMYK_color.jpg')).metadata()).space).toBe(
      'cmyk',
    );
    const thumbnail = await thumbnailOf('Channel_digital_image_CMYK_color.jpg');
    const meta = await sharp(thumbnail.data).metadata();
    expect(meta).toMatchObject({
      format: 'jpeg',
      space: 'srgb',
      channels: 3,
      depth: 'uchar',
      width: 128,
      height: 128,
    });
    // Converted through the embedded profile: the same as converting the full-size image to sRGB
    // first and resizing after.
    const fullSize = await sharp(await readFixture('Channel_digital_image_CMYK_color.jpg'))
      .toColourspace('srgb')
      .png()
      .toBuffer();
    const reference = await sharp(fullSize)
      .resize(128, 128, { kernel: 'lanczos3' })
      .jpeg({ quality: 80 })
      .toBuffer();
    expect(await meanDifference(thumbnail.data, reference)).toBeLessThan(3);
  });

  it('reads a 16-bit grey + alpha PNG and writes 8-bit sRGB', async () => {
    expect(await sharp(await readFixture('16-bit-grey-alpha.png')).metadata()).toMatchObject({
      space: 'grey16',
      depth: 'ushort',
      channels: 2,
    });
    const thumbnail = await thumbnailOf('16-bit-grey-alpha.png');
    expect(await sharp(thumbnail.data).metadata()).toMatchObject({
      format: 'jpeg',
      space: 'srgb',
      channels: 3,
      depth: 'uchar',
      width: 128,
      height: 128,
    });
  });
});
