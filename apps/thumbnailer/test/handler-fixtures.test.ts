import { readFile } from 'node:fs/promises';
import { thumbnailKeyFor } from '@annot/object-keys';
import {
  ACCEPTED_FIXTURES,
  damagedImages,
  fixturePath,
  LIBRARY_WORDS,
  REFUSED_FIXTURE_REASONS,
  REFUSED_FIXTURES,
} from '@annot/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, SETUPS, thumbnailerFor, upload } from './setups.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`thumbnailer on ${setup.name}: the fixture images`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await setup.open();
    });
    afterAll(() => backend?.close());

    // The web row (pending, the content type and size) first, as the web tier writes it; the
    // thumbnailer fills in the thumbnail and the dimensions.
    it.each(ACCEPTED_FIXTURES)('thumbnails $name into a 128x128 JPEG and records it', async (fixture) => {
      const bytes = await readFile(fixturePath(fixture.name));
      const { key, event } = await upload(backend, bytes, fixture.name, fixture.type);
      const worker = thumbnailerFor(backend);

      expect(await worker.handle(event, { requestId: 'req-1' })).toEqual({ status: 'completed', key });

      const row = await backend.repository.getByOriginalKey(key);
      expect(row).toMatchObject({
        thumbnailStatus: 'completed',
        thumbnailKey: thumbnailKeyFor(key),
        thumbnailError: null,
        annotationStatus: 'pending',
        contentType: fixture.type,
        byteSize: bytes.length,
        width: fixture.width,
        height: fixture.height,
      });
      const thumbnail = await backend.storage.thumbnails.getBytes(thumbnailKeyFor(key));
      expect(await sharp(thumbnail).metadata()).toMatchObject({
        format: 'jpeg',
        width: 128,
        height: 128,
        channels: 3,
      });
      expect((await backend.storage.thumbnails.head(thumbnailKeyFor(key)))?.contentType).toBe('image/jpeg');
      expect(worker.logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'info',
          message: 'Thumbnail written',
          attributes: expect.objectContaining({ key, requestId: 'req-1' }),
        }),
      );
    });

    it.each(REFUSED_FIXTURES)(
      'records %s as failed with a readable reason, without throwing',
      async (name) => {
        const { key, event } = await upload(
          backend,
          await readFile(fixturePath(name)),
          name,
          'application/octet-stream',
        );
        const worker = thumbnailerFor(backend);

        const outcome = await worker.handle(event);
        expect(outcome.status).toBe('failed');
        expect(outcome.reason).toBe(REFUSED_FIXTURE_REASONS[name]);
        const row = await backend.repository.getByOriginalKey(key);
        expect(row?.thumbnailStatus).toBe('failed');
        expect(row?.thumbnailError).toBe(outcome.reason);
        expect(row?.thumbnailKey).toBeNull();
        expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
      },
    );

    it.each(damagedImages().map((d) => [d.name, d] as const))(
      'records %s as failed in plain words, writing no thumbnail',
      async (_name, damaged) => {
        const { key, event } = await upload(backend, damaged.bytes, 'broken', 'application/octet-stream');

        const outcome = await thumbnailerFor(backend).handle(event);

        expect(outcome.status).toBe('failed');
        expect(outcome.reason).toMatch(/^The file is (incomplete|damaged|not a readable image)/);
        expect(outcome.reason).not.toMatch(LIBRARY_WORDS);
        expect((await backend.repository.getByOriginalKey(key))?.thumbnailError).toBe(outcome.reason);
        expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
      },
    );
  });
}
