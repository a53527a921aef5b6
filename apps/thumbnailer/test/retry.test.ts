import { readFile } from 'node:fs/promises';
import { thumbnailKeyFor } from '@annot/object-keys';
import { fixturePath } from '@annot/testing';
import { retryEvent, rowsWithKey, setStagePending } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, SETUPS, thumbnailerFor, upload } from './setups.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`thumbnailer on ${setup.name}: retry events`, () => {
    let backend: Backend;
    let photo: Buffer;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await readFile(fixturePath('Landscape_6.jpg'));
    });
    afterAll(() => backend?.close());

    it('makes the thumbnail of a failed stage set back to pending, on its retry event', async () => {
      // The stage failed earlier (recorded here directly, as the sweep records one it gave up on).
      const { key } = await upload(backend, photo, 'retried.jpg', 'image/jpeg');
      const failure = { originalKey: key, stage: 'thumbnail' as const, reason: 'The original was missing' };
      expect(await backend.repository.markFailed(failure)).toBe(true);

      await setStagePending(backend, key, 'thumbnail');
      const worker = thumbnailerFor(backend);
      expect(await worker.handle(retryEvent(backend, key, 'thumbnail'))).toEqual({
        status: 'completed',
        key,
      });

      const [row] = await rowsWithKey(backend, key);
      expect(row).toMatchObject({
        thumbnailStatus: 'completed',
        thumbnailError: null,
        thumbnailKey: thumbnailKeyFor(key),
        // The other stage is not this retry's business.
        annotationStatus: 'pending',
      });
      expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).not.toBeNull();
    });

    it("skips a retry of the annotation stage: it is the annotator's", async () => {
      const { key } = await upload(backend, photo, 'not-mine.jpg', 'image/jpeg');
      const worker = thumbnailerFor(backend);
      expect(await worker.handle(retryEvent(backend, key, 'annotation'))).toMatchObject({
        status: 'skipped',
        key,
      });
      expect((await rowsWithKey(backend, key))[0]?.thumbnailStatus).toBe('pending');
      expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
    });
  });
}
