import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, createRow, rowsFor, SETUPS, upload, workerFor } from './setups.ts';
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
      await createRow(backend, key, 'twice.jpg', 'image/jpeg', photo.length);
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue(
        { kind: 'text', text: 'First answer.' },
        { kind: 'text', text: 'Second answer.' },
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

    it('leaves one complete row when two deliveries race', async () => {
      const { key, event } = await upload(backend, photo, 'race.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'local');

      const outcomes = await Promise.all([worker.handle(event), worker.handle(structuredClone(event))]);

      expect(outcomes.map((o) => o.status)).toEqual(['completed', 'completed']);
      const rows = await rowsFor(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ annotationStatus: 'completed', annotator: 'local' });
    });

    it('makes a complete row when the event arrives before the web row, which then fills in its part', async () => {
      const { key, event } = await upload(backend, photo, 'Early Bird.jpg', 'image/jpeg');
      const worker = workerFor(backend, 'gemini');
      backend.gemini.enqueue({ kind: 'text', text: 'A waterfall in a rainforest.' });

      expect(await worker.handle(event)).toEqual({ status: 'completed', key });
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        thumbnailStatus: 'pending',
        annotation: 'A waterfall in a rainforest.',
      });

      await createRow(backend, key, 'Early Bird.jpg', 'image/jpeg', photo.length);

      const rows = await rowsFor(backend, key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        filename: 'Early Bird.jpg',
        contentType: 'image/jpeg',
        annotationStatus: 'completed',
        annotation: 'A waterfall in a rainforest.',
        annotator: 'gemini',
        annotationModel: 'gemini-3.5-flash',
      });
    });

    it('redoes an annotation written by another annotator (local, before a Gemini key was set)', async () => {
      const { key, event } = await upload(backend, photo, 'upgrade.jpg', 'image/jpeg');
      await workerFor(backend, 'local').handle(event);
      backend.gemini.enqueue({ kind: 'text', text: 'A waterfall.' });

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
      backend.gemini.enqueue({ kind: 'empty' }, { kind: 'text', text: 'A waterfall.' });

      expect((await worker.handle(event)).status).toBe('failed');
      expect(await worker.handle(structuredClone(event))).toEqual({ status: 'completed', key });

      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        annotation: 'A waterfall.',
      });
    });
  });
}
