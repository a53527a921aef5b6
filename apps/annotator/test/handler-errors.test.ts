import { InvalidEventError } from '@annot/events';
import { formatBytes } from '@annot/image-rules';
import { watchedStore, withdrawUpload } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorConfigurationError, TransientAnnotationError } from '../src/index.ts';
import { type Backend, SETUPS, upload, workerFor } from './setups.ts';
import { fixtureBytes } from './support.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`annotation worker on ${setup.name}: failures`, () => {
    let backend: Backend;
    let photo: Uint8Array;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await fixtureBytes('Landscape_1.jpg');
    });
    afterAll(() => backend?.close());
    beforeEach(() => backend.gemini.reset());

    /** The web tier's upload: the pending row, then the original. */
    const uploadWithRow = (name: string) => upload(backend, photo, name, 'image/jpeg');

    it('logs the key and request id of a completed annotation', async () => {
      const { key, event } = await uploadWithRow('logged.jpg');
      const worker = workerFor(backend, 'local');

      await worker.handle(event, { requestId: 'req-42' });

      expect(worker.logger.entries).toContainEqual({
        level: 'info',
        message: 'Annotation written',
        attributes: expect.objectContaining({
          key,
          requestId: 'req-42',
          annotator: 'local',
          model: 'local-analysis-v1',
        }),
      });
    });

    it.each([
      ['not JSON', 'definitely not an event', /not JSON/],
      ['missing detail', { source: 'aws.s3', 'detail-type': 'Object Created' }, /Object Created.*detail/],
      [
        'no bucket or key',
        { version: '0', id: '1', source: 'aws.s3', 'detail-type': 'Object Created', detail: {} },
        /bucket/,
      ],
    ])(
      'rejects a malformed event (%s): logged, thrown as InvalidEventError, nothing written',
      async (_, event, reason) => {
        const worker = workerFor(backend, 'gemini');

        await expect(worker.handle(event, { requestId: 'req-bad' })).rejects.toBeInstanceOf(
          InvalidEventError,
        );

        expect(worker.logger.entries).toEqual([
          {
            level: 'error',
            message: 'Rejected a malformed event',
            attributes: expect.objectContaining({
              requestId: 'req-bad',
              error: expect.stringMatching(reason),
            }),
          },
        ]);
        expect(backend.gemini.requests).toHaveLength(0);
      },
    );

    it('skips an event for another bucket or outside uploads/, leaving the row alone', async () => {
      const { key, event } = await upload(backend, photo, 'elsewhere.jpg', 'image/jpeg');
      const otherBucket = structuredClone(event);
      otherBucket.detail.bucket.name = 'someone-elses-bucket';

      expect(await workerFor(backend, 'local').handle(otherBucket)).toMatchObject({ status: 'skipped', key });
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ annotationStatus: 'pending' });
    });

    it('records a safety block as failed, with the reason', async () => {
      const { key, event } = await uploadWithRow('blocked.jpg');
      backend.gemini.enqueue({ kind: 'blocked', blockReason: 'SAFETY' });

      const outcome = await workerFor(backend, 'gemini').handle(event);

      expect(outcome).toEqual({
        status: 'failed',
        key,
        reason: 'The file was not described: Gemini declined to describe it (SAFETY)',
      });
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: 'The file was not described: Gemini declined to describe it (SAFETY)',
        annotation: null,
      });
    });

    it('records a candidate stopped for SAFETY as failed too', async () => {
      const { key, event } = await uploadWithRow('stopped.jpg');
      backend.gemini.enqueue({ kind: 'finish', finishReason: 'SAFETY' });

      await workerFor(backend, 'gemini').handle(event);

      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: 'The file was not described: Gemini declined to describe it (SAFETY)',
      });
    });

    it('throws after GEMINI_MAX_ATTEMPTS of 503, leaving the row pending for the platform to retry', async () => {
      const { key, event } = await uploadWithRow('overloaded.jpg');
      backend.gemini.enqueue(...Array.from({ length: 5 }, () => ({ kind: 'error' as const, status: 503 })));
      const worker = workerFor(backend, 'gemini', { GEMINI_MAX_ATTEMPTS: '3' });

      await expect(worker.handle(event, { requestId: 'req-503' })).rejects.toBeInstanceOf(
        TransientAnnotationError,
      );

      expect(backend.gemini.requests).toHaveLength(3);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'pending',
        annotationError: null,
      });
      expect(worker.logger.entries.at(-1)).toMatchObject({
        level: 'error',
        attributes: expect.objectContaining({ key, requestId: 'req-503' }),
      });
    });

    it('throws after repeated timeouts, leaving the row pending', async () => {
      const { key, event } = await uploadWithRow('slow.jpg');
      backend.gemini.enqueue({ kind: 'delay', ms: 3000 }, { kind: 'delay', ms: 3000 });
      const worker = workerFor(backend, 'gemini', { GEMINI_TIMEOUT_MS: '150', GEMINI_MAX_ATTEMPTS: '2' });

      await expect(worker.handle(event)).rejects.toThrow(
        /did not answer within 150 ms; gave up after 2 attempts/,
      );

      expect(backend.gemini.requests).toHaveLength(2);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ annotationStatus: 'pending' });
    });

    it('throws a configuration error (bad key) without blaming the image', async () => {
      const { key, event } = await uploadWithRow('bad-key.jpg');
      backend.gemini.enqueue({ kind: 'error', status: 403, message: 'Permission denied.' });

      await expect(workerFor(backend, 'gemini').handle(event)).rejects.toBeInstanceOf(
        AnnotatorConfigurationError,
      );

      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ annotationStatus: 'pending' });
    });

    it('records failed when the original is gone but the row exists', async () => {
      const { key, event } = await uploadWithRow('deleted.jpg');
      await backend.storage.originals.delete(key);

      expect(await workerFor(backend, 'local').handle(event)).toMatchObject({ status: 'failed', key });
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: 'The file no longer exists in storage',
      });
    });

    it('skips without creating a row when the original is gone and there is no row (a withdrawn upload)', async () => {
      const { key, event } = await upload(backend, photo, 'withdrawn.jpg', 'image/jpeg');
      await withdrawUpload(backend, key);
      const worker = workerFor(backend, 'gemini');

      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: 'withdrawn' });
      expect(await backend.repository.getByOriginalKey(key)).toBeNull();
      expect(backend.gemini.requests).toEqual([]);
    });

    it('refuses an original over MAX_UPLOAD_BYTES before reading it', async () => {
      const { key, event } = await uploadWithRow('huge.jpg');

      const originals = watchedStore(backend.storage.originals);
      const storage = { originals: originals.store, thumbnails: backend.storage.thumbnails };

      const outcome = await workerFor(backend, 'gemini', { MAX_UPLOAD_BYTES: '1000' }, storage).handle(event);

      expect(outcome).toMatchObject({
        status: 'failed',
        reason: `The file is ${formatBytes(photo.length)}, over the limit of 1000 bytes for one image`,
      });
      // Its size came from the object's metadata: no byte of it was read, none sent to the model.
      expect(originals.calls).toEqual(['head']);
      expect(backend.gemini.requests).toEqual([]);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ annotationStatus: 'failed' });
    });
  });
}
