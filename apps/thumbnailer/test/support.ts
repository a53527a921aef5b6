import { readFile } from 'node:fs/promises';
import { fixturePath } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { expect } from 'vitest';
import { makeThumbnail, type ThumbnailSettings } from '../src/thumbnail.ts';
import { DEFAULTS } from './default-settings.ts';

export { DEFAULTS };

export function readFixture(name: string): Promise<Buffer> {
  return readFile(fixturePath(name));
}

/** What the worker does with an original's bytes: check them (format, whole container), then thumbnail. */
export async function thumbnailOfBytes(bytes: Uint8Array, overrides: Partial<ThumbnailSettings> = {}) {
  return makeThumbnail(await checkOriginal(bytes), { ...DEFAULTS, ...overrides });
}

export async function thumbnailOf(name: string, overrides: Partial<ThumbnailSettings> = {}) {
  return thumbnailOfBytes(await readFixture(name), overrides);
}

/** Decoded 8-bit RGB(A) pixels of an encoded image. */
export async function pixels(image: Uint8Array) {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return {
    info,
    at(x: number, y: number): number[] {
      const offset = (y * info.width + x) * info.channels;
      return [...data.subarray(offset, offset + info.channels)];
    },
    data,
  };
}

/** Mean absolute difference per channel value of two same-sized images (0 = identical, 255 = opposite). */
export async function meanDifference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  if (pa.data.length !== pb.data.length) throw new Error('images differ in size');
  let total = 0;
  for (let i = 0; i < pa.data.length; i++) total += Math.abs(pa.data[i]! - pb.data[i]!);
  return total / pa.data.length;
}

export function expectClose(actual: number[], expected: number[], tolerance: number): void {
  const distance = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]!)));
  expect(distance, `pixel ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`).toBeLessThanOrEqual(
    tolerance,
  );
}
