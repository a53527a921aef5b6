import { readFileSync } from 'node:fs';
import { corruptImages, damagedImages, fixturePath, LIBRARY_WORDS, truncatedImages } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectNothingStored, postUpload, storedFiles, type TestApp } from './helper.ts';

const EXTENSIONS = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif' } as const;

describe('POST /upload refuses a file that is cut short or broken', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const caughtOnUpload = damagedImages().filter((d) => d.caughtBy === 'structure');

  it.each(caughtOnUpload.map((d) => [d.name, d] as const))(
    '%s: 400 corrupt_image in plain words, storing nothing',
    async (_name, image) => {
      const filename = `broken.${EXTENSIONS[image.format]}`;
      const response = await postUpload(t.app, [{ filename, content: image.bytes }]);

      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error).toBe('corrupt_image');
      expect(body.message).toMatch(/^"broken\.\w+" is (incomplete|damaged|not a readable image)/);
      expect(body.message).not.toMatch(LIBRARY_WORDS);
      await expectNothingStored(t);
    },
  );

  it('covers every accepted format, cut at several points and damaged', () => {
    const formats = new Set(truncatedImages().map((d) => d.format));
    expect(formats).toEqual(new Set(['jpeg', 'png', 'webp', 'gif', 'avif']));
    for (const format of formats) {
      expect(truncatedImages().filter((d) => d.format === format).length).toBeGreaterThanOrEqual(4);
      expect(corruptImages().some((d) => d.format === format)).toBe(true);
    }
  });

  it('says which file of a mixed upload was refused, and stores the whole one', async () => {
    const [cut] = truncatedImages().filter((d) => d.format === 'avif');
    const response = await postUpload(t.app, [
      { filename: 'cut.avif', content: cut!.bytes },
      { filename: 'whole.jpg', content: readFileSync(fixturePath('Landscape_1.jpg')) },
    ]);

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.images.map((i: { filename: string }) => i.filename)).toEqual(['whole.jpg']);
    expect(body.refused).toEqual([expect.objectContaining({ filename: 'cut.avif', error: 'corrupt_image' })]);
    expect(await storedFiles(t, 'originals')).toHaveLength(1);
  });
});
