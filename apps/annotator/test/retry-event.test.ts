import { retryEvent, setStagePending } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, rowsFor, SETUPS, upload, workerFor } from './setups.ts';
import { fixtureBytes } from './support.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`annotation worker on ${setup.name}: retry events`, () => {
    let backend: Backend;
    let photo: Uint8Array;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await fixtureBytes('Landscape_6.jpg');
    });
    afterAll(() => backend?.close());
    beforeEach(() => backend.gemini.reset());

    it('annotates again a stage that failed and was set back to pending, on its retry event', async () => {
      const { key, event } = await upload(backend, photo, 'declined.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue(
        { kind: 'blocked', blockReason: 'OTHER' },
        { kind: 'structured', caption: 'A lake at dawn.' },
      );
      expect(await worker.handle(event)).toMatchObject({ status: 'failed', key });
      expect((await rowsFor(backend, key))[0]).toMatchObject({ annotationStatus: 'failed' });

      await setStagePending(backend, key, 'annotation');
      expect(await worker.handle(retryEvent(backend, key, 'annotation'))).toEqual({
        status: 'completed',
        key,
      });

      const rows = await rowsFor(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        annotationStatus: 'completed',
        annotationError: null,
        annotation: 'A lake at dawn.',
        // The other stage is not this retry's business.
        thumbnailStatus: 'pending',
      });
      expect(backend.gemini.requests).toHaveLength(2);
    });

    it("skips a retry of the thumbnail stage without calling the model: it is the thumbnailer's", async () => {
      const { key } = await upload(backend, photo, 'not-mine.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      expect(await worker.handle(retryEvent(backend, key, 'thumbnail'))).toMatchObject({
        status: 'skipped',
        key,
      });
      expect(backend.gemini.requests).toHaveLength(0);
      expect((await rowsFor(backend, key))[0]?.annotationStatus).toBe('pending');
    });
  });
}
