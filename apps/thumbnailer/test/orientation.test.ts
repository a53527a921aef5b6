import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { meanDifference, thumbnailOf } from './support.ts';

describe('EXIF orientation', () => {
  it('turns Landscape_6.jpg (stored 450x600, orientation 6) into a landscape thumbnail', async () => {
    const thumbnail = await thumbnailOf('Landscape_6.jpg', { fit: 'inside' });
    expect(thumbnail.info).toMatchObject({ width: 128, height: 96 });
    expect(thumbnail.original).toMatchObject({
      width: 450,
      height: 600,
      orientedWidth: 600,
      orientedHeight: 450,
    });
  });

  it('turns Portrait_8.jpg (stored 600x450, orientation 8) into a portrait thumbnail', async () => {
    const thumbnail = await thumbnailOf('Portrait_8.jpg', { fit: 'inside' });
    expect(thumbnail.info).toMatchObject({ width: 96, height: 128 });
    expect(thumbnail.original).toMatchObject({
      width: 600,
      height: 450,
      orientedWidth: 450,
      orientedHeight: 600,
    });
  });

  it('rotates the right way: Landscape_6 matches Landscape_1 (the same photo stored upright)', async () => {
    const rotated = (await thumbnailOf('Landscape_6.jpg')).data;
    const upright = (await thumbnailOf('Landscape_1.jpg')).data;
    const upsideDown = await sharp(upright).rotate(180).jpeg().toBuffer();
    const upright2upright = await meanDifference(rotated, upright);
    expect(upright2upright).toBeLessThan(10);
    // The same measure tells a wrong rotation apart.
    expect(await meanDifference(rotated, upsideDown)).toBeGreaterThan(upright2upright * 4);
  });
});
