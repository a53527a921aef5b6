import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readFixture, thumbnailOf, thumbnailOfBytes } from './support.ts';

describe('metadata stripping', () => {
  it('drops EXIF with GPS coordinates, XMP and ICC from the thumbnail', async () => {
    const photo = await sharp(await readFixture('flowers.jpeg'))
      .withExif({
        IFD0: { Make: 'TestCam', Model: 'Leaky 1' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '51/1 30/1 0/1',
          GPSLongitudeRef: 'W',
          GPSLongitude: '0/1 7/1 0/1',
        },
      })
      .withXmp(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>',
      )
      .withIccProfile('p3')
      .jpeg()
      .toBuffer();
    const input = await sharp(photo).metadata();
    // The input really carries what must not leak.
    expect(input.exif?.includes('GPS') || input.exif?.includes(Buffer.from([0x88, 0x25]))).toBe(true);
    expect(input.exif?.includes('Leaky 1')).toBe(true);
    expect(input.xmp).toBeDefined();
    expect(input.icc).toBeDefined();

    const thumbnail = await thumbnailOfBytes(photo);
    const output = await sharp(thumbnail.data).metadata();
    expect(output.exif).toBeUndefined();
    expect(output.xmp).toBeUndefined();
    expect(output.iptc).toBeUndefined();
    expect(output.icc).toBeUndefined();
    expect(thumbnail.data.includes('Leaky 1')).toBe(false);
  });

  it('drops the camera EXIF of a real photo (Landscape_1.jpg)', async () => {
    expect((await sharp(await readFixture('Landscape_1.jpg')).metadata()).exif).toBeDefined();
    expect((await sharp((await thumbnailOf('Landscape_1.jpg')).data).metadata()).exif).toBeUndefined();
  });
});
