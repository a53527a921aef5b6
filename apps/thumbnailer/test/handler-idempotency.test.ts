import { readFile } from 'node:fs/promises';
import { thumbnailKeyFor } from '@annot/object-keys';
import type { Storage } from '@annot/storage';
import { fixturePath } from '@annot/testing';
import { SKIPPED } from '@annot/worker-runtime';
import {
  deadHolder,
  rowsWithKey,
  watchedStore,
  whatExists,
  withdrawUpload,
} from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeThumbnail } from '../src/thumbnail.ts';
import { type Backend, SETUPS, thumbnailerFor, upload } from './setups.ts';

// Every decode of an original goes through makeThumbnail: count its calls.
vi.mock('../src/thumbnail.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/thumbnail.ts')>();
  return { ...actual, makeThumbnail: vi.fn(actual.makeThumbnail) };
});
const decodes = vi.mocked(makeThumbnail);

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
    beforeEach(() => {
      decodes.mockClear();
    });

    it('leaves one row and one thumbnail when the same event arrives twice, skipping the second', async () => {
      const { key, event } = await upload(backend, photo, 'twice.jpg', 'image/jpeg');
      const worker = thumbnailerFor(backend);

      expect((await worker.handle(event)).status).toBe('completed');
      const first = await backend.storage.thumbnails.head(thumbnailKeyFor(key));
      expect(await worker.handle(structuredClone(event))).toEqual({
        status: 'skipped',
        key,
        reason: 'already thumbnailed',
      });

      expect(decodes).toHaveBeenCalledTimes(1);
      expect(await rowsWithKey(backend, key)).toHaveLength(1);
      expect(await backend.listThumbnails(thumbnailPrefix(key))).toEqual([thumbnailKeyFor(key)]);
      // Not rewritten by the duplicate.
      expect((await backend.storage.thumbnails.head(thumbnailKeyFor(key)))?.lastModified).toEqual(
        first?.lastModified,
      );
    });

    it('decodes and writes once when the same event is delivered five times at once', async () => {
      const { key, event } = await upload(backend, photo, 'five.jpg', 'image/jpeg');
      const thumbnails = watchedStore(backend.storage.thumbnails);
      const worker = thumbnailerFor(backend, { ...backend.storage, thumbnails: thumbnails.store });

      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => worker.handle(structuredClone(event))),
      );

      expect(decodes).toHaveBeenCalledTimes(1);
      expect(thumbnails.calls.filter((call) => call === 'put')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'completed')).toHaveLength(1);
      // The others stood down: while the first held the stage, or (had one come later) on its result.
      const skipped = outcomes.filter((o) => o.status === 'skipped');
      expect(skipped).toHaveLength(4);
      for (const outcome of skipped) {
        expect([SKIPPED.inProgress, 'already thumbnailed']).toContain(outcome.reason);
      }
      expect(
        worker.logger.entries.filter(
          (e) => e.message.includes('stands down') || e.message.includes('already'),
        ),
      ).toHaveLength(4);
      const rows = await rowsWithKey(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ thumbnailStatus: 'completed', thumbnailKey: thumbnailKeyFor(key) });
      expect(await backend.listThumbnails(thumbnailPrefix(key))).toEqual([thumbnailKeyFor(key)]);
    });

    it('waits out the lease of a worker that died holding it, then a later delivery does the work', async () => {
      const { key, event } = await upload(backend, photo, 'orphaned.jpg', 'image/jpeg');
      const dead = await deadHolder(backend, key, 'thumbnail');
      const worker = thumbnailerFor(backend);

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.inProgress });
      expect(decodes).not.toHaveBeenCalled();

      await dead.runOut();
      expect(await worker.handle(structuredClone(event))).toEqual({ status: 'completed', key });
      expect(decodes).toHaveBeenCalledTimes(1);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ thumbnailStatus: 'completed' });
    });

    it('records nothing for an event that arrives before the web row (the web tier writes it first)', async () => {
      const { key, event } = await upload(backend, photo, 'Holiday Snap.jpg', 'image/jpeg', { row: false });
      const worker = thumbnailerFor(backend);

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
      expect(decodes).not.toHaveBeenCalled();
      expect(await whatExists(backend, key)).toEqual({ rows: 0, original: true, thumbnail: false });
    });

    describe('an upload the web tier withdraws leaves nothing, wherever the thumbnailer is', () => {
      /** A thumbnailer whose stores withdraw the upload right after the given step. */
      function withdrawingAfter(step: 'read' | 'put', key: string) {
        const withdraw = async () => withdrawUpload(backend, key);
        const storage: Storage = {
          originals: watchedStore(backend.storage.originals, step === 'read' ? { getBytes: withdraw } : {})
            .store,
          thumbnails: watchedStore(backend.storage.thumbnails, step === 'put' ? { put: withdraw } : {}).store,
        };
        return thumbnailerFor(backend, storage);
      }

      it('withdrawn before the original is read', async () => {
        const { key, event } = await upload(backend, photo, 'before.jpg', 'image/jpeg');
        await withdrawUpload(backend, key);
        const worker = thumbnailerFor(backend);
        expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
        expect(decodes).not.toHaveBeenCalled();
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
      });

      it('withdrawn between reading the original and writing the thumbnail', async () => {
        const { key, event } = await upload(backend, photo, 'read.jpg', 'image/jpeg');
        const worker = withdrawingAfter('read', key);
        expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
        expect(decodes).toHaveBeenCalledTimes(1);
        // The thumbnail written after the withdrawal was removed again by the thumbnailer.
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
        expect(worker.logger.entries).toContainEqual(
          expect.objectContaining({
            level: 'warn',
            message: 'Upload was withdrawn (its row is gone); thumbnail skipped',
          }),
        );
      });

      it('withdrawn between writing the thumbnail and recording it', async () => {
        const { key, event } = await upload(backend, photo, 'put.jpg', 'image/jpeg');
        const worker = withdrawingAfter('put', key);
        expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
      });

      it('withdrawn after the thumbnail was recorded', async () => {
        const { key, event } = await upload(backend, photo, 'after.jpg', 'image/jpeg');
        expect(await thumbnailerFor(backend).handle(event)).toEqual({ status: 'completed', key });
        // Not withdrawn: a complete row with its original and thumbnail.
        expect(await whatExists(backend, key)).toEqual({ rows: 1, original: true, thumbnail: true });
        await withdrawUpload(backend, key);
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
        // A late redelivery brings nothing back.
        expect(await thumbnailerFor(backend).handle(event)).toMatchObject({ reason: SKIPPED.withdrawn });
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
      });

      it('removes, on a redelivery, a thumbnail whose removal failed the first time', async () => {
        const { key, event } = await upload(backend, photo, 'retry-discard.jpg', 'image/jpeg');
        let failDelete = true;
        const thumbnails = new Proxy(backend.storage.thumbnails, {
          get(target, property) {
            if (property === 'delete' && failDelete) {
              return async () => {
                failDelete = false;
                throw new Error('socket hang up');
              };
            }
            const value = Reflect.get(target, property);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const storage: Storage = {
          originals: watchedStore(backend.storage.originals, {
            // The web tier's withdrawal, minus the thumbnail it could not see yet.
            getBytes: async () => backend.repository.deleteByOriginalKey(key),
          }).store,
          thumbnails,
        };
        await expect(thumbnailerFor(backend, storage).handle(event)).rejects.toThrow('socket hang up');
        expect((await whatExists(backend, key)).thumbnail).toBe(true);

        expect(await thumbnailerFor(backend, storage).handle(event)).toMatchObject({
          reason: SKIPPED.withdrawn,
        });
        expect(await whatExists(backend, key)).toEqual({ rows: 0, original: true, thumbnail: false });
      });
    });
  });
}
