import { readFile } from 'node:fs/promises';
import { thumbnailKeyFor } from '@annot/object-keys';
import { fixturePath } from '@annot/testing';
import { rowsWithKey } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, SETUPS, thumbnailerFor, upload } from './setups.ts';

/** `thumbnails/<upload id>/`: where this upload's thumbnail, and nothing else, may be. */
function thumbnailPrefix(key: string): string {
  return thumbnailKeyFor(key).replace(/[^/]+$/, '');
}

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`thumbnailer on ${setup.name}: idempotency and ordering`, () => {
    let backend: Backend;
    let photo: Buffer;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await readFile(fixturePath('Landscape_6.jpg'));
    });
    afterAll(() => backend?.close());

    it('leaves one row and one thumbnail when the same event arrives twice, skipping the second', async () => {
      const { key, event } = await upload(backend, photo, 'twice.jpg', 'image/jpeg');
      await backend.repository.createPending({
        filename: 'twice.jpg',
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: photo.length,
        width: 600,
        height: 450,
      });
      const worker = thumbnailerFor(backend);

      expect((await worker.handle(event)).status).toBe('completed');
      const first = await backend.storage.thumbnails.head(thumbnailKeyFor(key));
      expect(await worker.handle(structuredClone(event))).toEqual({
        status: 'skipped',
        key,
        reason: 'already thumbnailed',
      });

      expect(await rowsWithKey(backend, key)).toHaveLength(1);
      expect(await backend.listThumbnails(thumbnailPrefix(key))).toEqual([thumbnailKeyFor(key)]);
      // Not rewritten by the duplicate.
      expect((await backend.storage.thumbnails.head(thumbnailKeyFor(key)))?.lastModified).toEqual(
        first?.lastModified,
      );
    });

    it('leaves one row and one thumbnail when two deliveries race', async () => {
      const { key, event } = await upload(backend, photo, 'race.jpg', 'image/jpeg');
      const worker = thumbnailerFor(backend);

      const outcomes = await Promise.all([worker.handle(event), worker.handle(structuredClone(event))]);
      // Both may do the work, or the later one may already see the first's result.
      const statuses = outcomes.map((o) => o.status).sort();
      expect([
        ['completed', 'completed'],
        ['completed', 'skipped'],
      ]).toContainEqual(statuses);

      const rows = await rowsWithKey(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ thumbnailStatus: 'completed', thumbnailKey: thumbnailKeyFor(key) });
      expect(await backend.listThumbnails(thumbnailPrefix(key))).toEqual([thumbnailKeyFor(key)]);
    });

    it('makes a complete row when the event arrives before the web row, which then fills in its part', async () => {
      const { key, event } = await upload(backend, photo, 'Holiday Snap.jpg', 'image/jpeg');
      const worker = thumbnailerFor(backend);

      expect((await worker.handle(event)).status).toBe('completed');
      const early = await backend.repository.getByOriginalKey(key);
      expect(early).toMatchObject({
        thumbnailStatus: 'completed',
        annotationStatus: 'pending',
        width: 600,
        height: 450,
      });

      await backend.repository.createPending({
        filename: 'Holiday Snap.jpg',
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: photo.length,
        width: 600,
        height: 450,
      });
      const rows = await rowsWithKey(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        filename: 'Holiday Snap.jpg',
        thumbnailStatus: 'completed',
        thumbnailKey: thumbnailKeyFor(key),
        annotationStatus: 'pending',
        contentType: 'image/jpeg',
        byteSize: photo.length,
        width: 600,
        height: 450,
      });
    });
  });
}
