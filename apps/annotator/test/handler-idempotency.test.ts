import { SKIPPED } from '@annot/worker-runtime';
import { deadHolder, watchedStore, whatExists, withdrawUpload } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, rowsFor, SETUPS, upload, workerFor } from './setups.ts';
import { fixtureBytes } from './support.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`annotation worker on ${setup.name}: idempotency and ordering`, () => {
    let backend: Backend;
    let photo: Uint8Array;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await fixtureBytes('Landscape_6.jpg');
    });
    afterAll(() => backend?.close());
    beforeEach(() => backend.gemini.reset());

    it('leaves one row and makes one model call when the same event arrives twice', async () => {
      const { key, event } = await upload(backend, photo, 'twice.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue(
        { kind: 'structured', caption: 'First answer.' },
        { kind: 'structured', caption: 'Second answer.' },
      );

      expect(await worker.handle(event)).toEqual({ status: 'completed', key });
      expect(await worker.handle(structuredClone(event))).toEqual({
        status: 'skipped',
        key,
        reason: 'already annotated',
      });

      const rows = await rowsFor(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        annotation: 'First answer.',
        annotationStatus: 'completed',
        annotator: 'gemini',
      });
      expect(backend.gemini.requests).toHaveLength(1);
    });

    it('makes one model call when the same event is delivered five times at once', async () => {
      const { key, event } = await upload(backend, photo, 'five.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      // A slow answer (the fake's default text), so the other deliveries arrive while the first is
      // still waiting for it.
      backend.gemini.enqueue({ kind: 'delay', ms: 200 });

      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => worker.handle(structuredClone(event))),
      );

      expect(backend.gemini.requests).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'completed')).toEqual([{ status: 'completed', key }]);
      // The others stood down while the first held the stage (or, on a machine slow enough that one
      // came after it finished, on its result).
      const skipped = outcomes.filter((o) => o.status === 'skipped');
      expect(skipped).toHaveLength(4);
      for (const outcome of skipped)
        expect([SKIPPED.inProgress, 'already annotated']).toContain(outcome.reason);
      expect(
        worker.logger.entries.filter(
          (e) => e.message.includes('stands down') || e.message.includes('already'),
        ),
      ).toHaveLength(4);
      const rows = await rowsFor(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ annotationStatus: 'completed', annotation: 'A test photograph.' });
    });

    it('waits out the lease of a worker that died holding it, then a later delivery does the work', async () => {
      const { key, event } = await upload(backend, photo, 'orphaned.jpg', 'image/jpeg');
      const dead = await deadHolder(backend, key, 'annotation');
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue({ kind: 'structured', caption: 'At last.' });

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.inProgress });
      expect(backend.gemini.requests).toHaveLength(0);

      await dead.runOut();
      expect(await worker.handle(structuredClone(event))).toEqual({ status: 'completed', key });
      expect(backend.gemini.requests).toHaveLength(1);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ annotation: 'At last.' });
    });

    it('records nothing, and calls no model, for an event that arrives before the web row', async () => {
      const { key, event } = await upload(backend, photo, 'Early Bird.jpg', 'image/jpeg', { row: false });
      const worker = workerFor(backend, 'gemini');

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
      expect(backend.gemini.requests).toHaveLength(0);
      expect(await rowsFor(backend, key)).toEqual([]);
    });

    it('records nothing for an upload withdrawn while the model was describing it', async () => {
      const { key, event } = await upload(backend, photo, 'withdrawn.jpg', 'image/jpeg');
      const originals = watchedStore(backend.storage.originals, {
        getBytes: () => withdrawUpload(backend, key),
      });
      const worker = workerFor(backend, 'gemini', {}, { ...backend.storage, originals: originals.store });

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
      expect(backend.gemini.requests).toHaveLength(1);
      expect(await whatExists(backend, key)).toEqual({ rows: 0, original: false, thumbnail: false });
      expect(worker.logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'Upload was withdrawn (its row is gone); annotation skipped',
        }),
      );
    });

    it('redoes an annotation written by another annotator (local, before a Gemini key was set)', async () => {
      const { key, event } = await upload(backend, photo, 'upgrade.jpg', 'image/jpeg');
      await workerFor(backend, 'local').handle(event);
      backend.gemini.enqueue({ kind: 'structured', caption: 'A waterfall.' });

      expect(await workerFor(backend, 'gemini').handle(structuredClone(event))).toEqual({
        status: 'completed',
        key,
      });

      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotation: 'A waterfall.',
        annotator: 'gemini',
        annotationModel: 'gemini-3.5-flash',
      });
    });

    it('tries again on a redelivered event for a row that failed, and can complete it', async () => {
      const { key, event } = await upload(backend, photo, 'second-chance.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue(
        { kind: 'finish', finishReason: 'SAFETY' },
        { kind: 'structured', caption: 'A waterfall.' },
      );

      expect((await worker.handle(event)).status).toBe('failed');
      expect(await worker.handle(structuredClone(event))).toEqual({ status: 'completed', key });

      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        annotation: 'A waterfall.',
      });
    });
  });
}
