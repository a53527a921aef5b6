import { readFileSync } from 'node:fs';
import {
  ACCEPTED_FIXTURES,
  corruptImages,
  damagedImages,
  fixturePath,
  truncatedImages,
} from '@annot/testing';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, createIntegrityCheck, detectFormat, formatInfo, sentence } from '../src/index.ts';

async function infoOf(bytes: Uint8Array) {
  const detection = await detectFormat(bytes);
  if (!detection.accepted) throw new Error(`not detected: ${detection.problem.predicate}`);
  return detection.info;
}

describe('the container walk', () => {
  it.each(ACCEPTED_FIXTURES.map((f) => [f.name]))('finds %s whole', async (name) => {
    const bytes = readFileSync(fixturePath(name));
    expect(checkIntegrity(bytes, await infoOf(bytes))).toBeNull();
  });

  it.each(truncatedImages().map((d) => [d.name, d] as const))('finds %s incomplete', async (_name, image) => {
    const problem = checkIntegrity(image.bytes, formatInfo(image.format));
    expect(problem?.code).toBe('corrupt_image');
    expect(sentence(problem!)).toMatch(/^The file is incomplete: the \w+ data ends early/);
  });

  it.each(
    corruptImages()
      .filter((d) => d.caughtBy === 'structure')
      .map((d) => [d.name, d] as const),
  )('finds %s broken', async (_name, image) => {
    expect(checkIntegrity(image.bytes, formatInfo(image.format))?.code).toBe('corrupt_image');
  });

  it('gives the same verdict however the bytes are split into chunks', async () => {
    for (const image of [
      ...damagedImages(),
      ...ACCEPTED_FIXTURES.map((f) => ({ bytes: readFileSync(fixturePath(f.name)) })),
    ]) {
      const info = await infoOf(image.bytes).catch(() => undefined);
      if (!info) continue;
      const whole = checkIntegrity(image.bytes, info);
      for (const size of [1, 7, 4096]) {
        const check = createIntegrityCheck(info);
        for (let at = 0; at < image.bytes.length; at += size)
          check.update(image.bytes.subarray(at, at + size));
        expect(check.finish()).toEqual(whole);
      }
    }
  });

  it('ignores bytes after the end, as decoders do, and keeps no reference to chunks it was given', async () => {
    const bytes = readFileSync(fixturePath('Landscape_1.jpg'));
    const withTrailer = Buffer.concat([bytes, Buffer.from('trailing data some cameras append')]);
    expect(checkIntegrity(withTrailer, formatInfo('jpeg'))).toBeNull();
    const check = createIntegrityCheck(formatInfo('png'));
    const png = Buffer.from(readFileSync(fixturePath('with-alpha.png')));
    const first = png.subarray(0, 10);
    check.update(first);
    first.fill(0); // a caller reusing its buffer must not change the verdict
    check.update(png.subarray(10));
    expect(check.finish()).toBeNull();
  });

  it('accepts a JPEG with stray bytes between segments, as libjpeg does', () => {
    const bytes = readFileSync(fixturePath('Landscape_1.jpg'));
    // After SOI and the APP0 segment, three stray zero bytes before the next marker.
    const app0End = 2 + 2 + bytes.readUInt16BE(4);
    const stray = Buffer.concat([
      bytes.subarray(0, app0End),
      Buffer.from([0, 0, 0]),
      bytes.subarray(app0End),
    ]);
    expect(checkIntegrity(stray, formatInfo('jpeg'))).toBeNull();
  });
});

describe('what only a decoder sees', () => {
  it.each(
    corruptImages()
      .filter((d) => d.caughtBy === 'decoder')
      .map((d) => [d.name, d] as const),
  )('%s passes the container walk and fails to decode', async (_name, image) => {
    expect(checkIntegrity(image.bytes, formatInfo(image.format))).toBeNull();
    await expect(
      sharp(image.bytes, { failOn: 'error', pages: 1 }).resize(64).jpeg().toBuffer(),
    ).rejects.toThrow();
  });

  it('a truncated GIF and AVIF decode without complaint, which is why the walk exists', async () => {
    for (const image of truncatedImages().filter(
      (d) => d.format === 'gif' || d.name.includes('cut at 20000'),
    )) {
      await expect(
        sharp(image.bytes, { failOn: 'error', pages: 1 }).resize(64).jpeg().toBuffer(),
      ).resolves.toBeDefined();
    }
  });
});
