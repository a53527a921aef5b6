import { describe, expect, it } from 'vitest';
import { colourName, paletteOf } from '../src/colours.ts';

describe('colourName', () => {
  it.each([
    [0, 0, 0, 'black'],
    [20, 22, 25, 'black'],
    [255, 255, 255, 'white'],
    [240, 238, 230, 'white'],
    [128, 128, 128, 'grey'],
    [90, 95, 100, 'grey'],
    [220, 30, 30, 'red'],
    [255, 182, 193, 'pink'],
    [255, 140, 0, 'orange'],
    [120, 70, 30, 'brown'],
    [250, 220, 40, 'yellow'],
    [100, 100, 20, 'olive'],
    [40, 160, 60, 'green'],
    [30, 160, 160, 'teal'],
    [30, 80, 200, 'blue'],
    [135, 206, 235, 'blue'],
    [120, 40, 160, 'purple'],
    [230, 80, 200, 'pink'],
  ] as const)('rgb(%i, %i, %i) is %s', (r, g, b, name) => {
    expect(colourName(r, g, b)).toBe(name);
  });
});

describe('paletteOf', () => {
  it('counts partly transparent pixels as visible colours and as translucent', () => {
    const rgba = new Uint8Array([...[0, 0, 255, 128], ...[0, 0, 255, 255]]);

    expect(paletteOf(rgba)).toEqual({
      colours: [{ name: 'blue', share: 1 }],
      transparentShare: 0,
      translucentShare: 0.5,
    });
  });

  it('counts shares of visible pixels, largest first, and the transparent share of all pixels', () => {
    const rgba = new Uint8Array([
      ...[255, 0, 0, 255],
      ...[250, 10, 10, 255],
      ...[0, 0, 255, 255],
      ...[0, 255, 0, 0], // transparent green: not a colour anyone sees
    ]);

    const palette = paletteOf(rgba);

    expect(palette.transparentShare).toBe(0.25);
    expect(palette.translucentShare).toBe(0);
    expect(palette.colours).toEqual([
      { name: 'red', share: 2 / 3 },
      { name: 'blue', share: 1 / 3 },
    ]);
  });
});
