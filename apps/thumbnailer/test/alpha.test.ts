import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectClose, pixels, thumbnailOf, thumbnailOfBytes } from './support.ts';

describe('alpha onto the background', () => {
  it('paints fully transparent pixels with the configured background, whatever colour they hide', async () => {
    // Left half: transparent green; right half: opaque blue.
    const image = await sharp({ create: { width: 256, height: 256, channels: 4, background: '#00ff0000' } })
      .composite([
        {
          input: { create: { width: 128, height: 256, channels: 4, background: '#0000ffff' } },
          left: 128,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    const thumbnail = await thumbnailOfBytes(image, { background: '#ff0000' });
    const out = await pixels(thumbnail.data);
    expect(out.info.channels).toBe(3);
    expectClose(out.at(16, 64), [255, 0, 0], 6);
    expectClose(out.at(112, 64), [0, 0, 255], 6);
  });

  it('blends the semi-transparent with-alpha.png over the background by its alpha', async () => {
    // Every pixel of the fixture is rgb(91,0,194) at alpha 168/255.
    const onWhite = await pixels((await thumbnailOf('with-alpha.png', { background: '#ffffff' })).data);
    const onBlack = await pixels((await thumbnailOf('with-alpha.png', { background: '#000000' })).data);
    const a = 168 / 255;
    expectClose(onWhite.at(64, 64), [91 * a + 255 * (1 - a), 255 * (1 - a), 194 * a + 255 * (1 - a)], 4);
    expectClose(onBlack.at(64, 64), [91 * a, 0, 194 * a], 4);
  });

  it('shows the background through the nearly transparent 16-bit grey + alpha PNG', async () => {
    const out = await pixels((await thumbnailOf('16-bit-grey-alpha.png', { background: '#ff00ff' })).data);
    // The fixture's alpha is below 32/255 everywhere, so magenta must dominate every corner.
    for (const [x, y] of [
      [2, 2],
      [125, 2],
      [2, 125],
      [125, 125],
      [64, 64],
    ] as const) {
      expectClose(out.at(x, y), [255, 0, 255], 40);
    }
  });
});
