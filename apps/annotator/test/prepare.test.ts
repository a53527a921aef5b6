import { ACCEPTED_FIXTURES } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareForModel } from '../src/prepare.ts';
import { checkedFixture, fixtureBytes } from './support.ts';

const limits = { maxEdge: 1024, maxInputPixels: 60_000_000 };

describe('the copy sent to the model', () => {
  it.each(ACCEPTED_FIXTURES.map((f) => f.name))(
    '%s becomes an 8-bit sRGB JPEG within 1024 px',
    async (name) => {
      const prepared = await prepareForModel(await checkedFixture(name), limits);

      const meta = await sharp(prepared.data).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, depth: 'uchar' });
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(1024);
      expect({ width: meta.width, height: meta.height }).toEqual({
        width: prepared.width,
        height: prepared.height,
      });
      // Nothing identifying travels with it: no EXIF (GPS included), no ICC profile.
      expect(meta.exif).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.hasProfile).toBe(false);
    },
  );

  it('has originals with an ICC profile and EXIF among them, so the stripping above is exercised', async () => {
    const profiled = await sharp(await fixtureBytes('Landscape_6.jpg')).metadata();
    expect(profiled.hasProfile).toBe(true);
    expect(profiled.exif).toBeDefined();
    expect(
      (await sharp(await fixtureBytes('Channel_digital_image_CMYK_color.jpg')).metadata()).icc,
    ).toBeDefined();
  });

  it('flattens transparency onto white rather than black', async () => {
    const transparent = await sharp({
      create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();

    const prepared = await prepareForModel(await checkOriginal(transparent), limits);

    const { dominant } = await sharp(prepared.data).stats();
    expect(dominant.r + dominant.g + dominant.b).toBeGreaterThan(700);
  });

  it('keeps the aspect ratio of a panorama (4096x800 AVIF -> 1024x200)', async () => {
    const prepared = await prepareForModel(await checkedFixture('pitm.avif'), limits);

    expect(prepared).toMatchObject({ width: 1024, height: 200, mimeType: 'image/jpeg' });
  });
});
