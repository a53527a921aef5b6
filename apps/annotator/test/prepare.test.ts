import { GEMINI_INLINE_REQUEST_LIMIT_BYTES } from '@annot/config';
import { ACCEPTED_FIXTURES } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_INLINE_IMAGE_BYTES, prepareForModel } from '../src/prepare.ts';
import { checkedFixture, fixtureBytes, noisyJpeg } from './support.ts';

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

  it('keeps a copy whose request fits at the asked edge', async () => {
    const prepared = await prepareForModel(await checkedFixture('flowers.jpeg'), limits);

    expect(prepared).toMatchObject({ width: 1024, height: 576, edge: 1024 });
  });

  it('encodes a copy over the byte budget again, smaller, until it fits', async () => {
    // Noise hardly compresses: at 1200 px the JPEG is about 1 MB.
    const image = await checkOriginal(await noisyJpeg(1200));
    const maxBytes = 200_000;

    const prepared = await prepareForModel(image, { maxEdge: 1200, maxInputPixels: 60_000_000, maxBytes });

    expect(prepared.data.length).toBeLessThanOrEqual(maxBytes);
    expect(prepared.edge).toBeLessThan(1200);
    expect(Math.max(prepared.width, prepared.height)).toBe(prepared.edge);
    expect(await sharp(prepared.data).metadata()).toMatchObject({ format: 'jpeg', width: prepared.width });
  });

  it('budgets the JPEG so that its base64 and the rest of the request stay under the inline limit', () => {
    const base64 = Math.ceil(MAX_INLINE_IMAGE_BYTES / 3) * 4;
    expect(base64).toBeLessThanOrEqual(GEMINI_INLINE_REQUEST_LIMIT_BYTES - 64 * 1024);
    expect(base64).toBeGreaterThan(GEMINI_INLINE_REQUEST_LIMIT_BYTES - 128 * 1024);
  });
});
