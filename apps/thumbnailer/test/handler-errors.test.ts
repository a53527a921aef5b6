import { readFile } from 'node:fs/promises';
import { buildObjectCreatedEvent, InvalidEventError } from '@annot/events';
import { thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import { createStorage, type ObjectStore, type Storage } from '@annot/storage';
import { fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThumbnailer } from '../src/worker.ts';
import { type Backend, recordingLogger, SETUPS, settingsOf, thumbnailerFor, upload } from './setups.ts';

/** A real store whose next `put` fails the way a dropped connection does. */
function failingOncePut(store: ObjectStore): ObjectStore {
  let failed = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'put' && !failed) {
        return async () => {
          failed = true;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`thumbnailer on ${setup.name}: bad events and failures`, () => {
    let backend: Backend;
    let photo: Buffer;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await readFile(fixturePath('flowers.jpeg'));
    });
    afterAll(() => backend?.close());

    it('rejects a malformed event with InvalidEventError and logs what it was', async () => {
      const worker = thumbnailerFor(backend);
      const malformed = {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        detail: { bucket: { name: 'x' } },
      };
      await expect(worker.handle(malformed, { requestId: 'req-bad' })).rejects.toBeInstanceOf(
        InvalidEventError,
      );
      expect(worker.logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'Rejected a malformed event',
          attributes: expect.objectContaining({
            requestId: 'req-bad',
            error: expect.stringContaining('detail.object'),
            event: expect.objectContaining({ source: 'aws.s3', bucket: 'x' }),
          }),
        }),
      );
      await expect(worker.handle('not json')).rejects.toBeInstanceOf(InvalidEventError);
    });

    it('throws a transient storage failure, leaves the row pending, and succeeds on the retry', async () => {
      const { key, event } = await upload(backend, photo, 'flaky.jpg', 'image/jpeg');
      const flaky: Storage = {
        originals: backend.storage.originals,
        thumbnails: failingOncePut(backend.storage.thumbnails),
      };
      const worker = thumbnailerFor(backend, flaky);

      await expect(worker.handle(event)).rejects.toThrow('socket hang up');
      expect((await backend.repository.getByOriginalKey(key))?.thumbnailStatus ?? 'pending').toBe('pending');
      expect(worker.logger.entries.some((e) => e.level === 'error' && e.attributes.key === key)).toBe(true);

      expect((await worker.handle(event)).status).toBe('completed');
      expect((await backend.repository.getByOriginalKey(key))?.thumbnailStatus).toBe('completed');
    });

    it('throws when the database connection is gone, rather than recording anything', async () => {
      const { key, event } = await upload(backend, photo, 'nodb.jpg', 'image/jpeg');
      const gone = await setup.open();
      await gone.close();
      const worker = thumbnailerFor(backend, backend.storage, gone.repository);
      await expect(worker.handle(event)).rejects.toThrow();
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ thumbnailStatus: 'pending' });
      expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
    });

    it.runIf(setup.name.includes('S3'))('throws when S3 cannot be reached', async () => {
      const { key, event } = await upload(backend, photo, 'nos3.jpg', 'image/jpeg');
      if (backend.config.storage.kind !== 's3') throw new Error('expected S3');
      const unreachable = createStorage(
        { ...backend.config.storage, endpoint: 'http://127.0.0.1:9' },
        backend.config.presign,
        {
          s3ClientConfig: {
            credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
            maxAttempts: 1,
          },
        },
      );
      const worker = thumbnailerFor(backend, unreachable);
      await expect(worker.handle(event)).rejects.toThrow(/ECONNREFUSED|connect/);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({ thumbnailStatus: 'pending' });
      // The lease was released: the retry, with S3 back, works at once.
      expect(await thumbnailerFor(backend).handle(event)).toEqual({ status: 'completed', key });
    });

    it('skips events for other buckets and keys outside uploads/', async () => {
      const worker = thumbnailerFor(backend);
      const otherBucket = buildObjectCreatedEvent({ bucket: 'someone-elses', key: uploadKey('a.jpg') });
      expect((await worker.handle(otherBucket)).status).toBe('skipped');
      const notUpload = buildObjectCreatedEvent({
        bucket: backend.storage.originals.bucket,
        key: 'exports/a.jpg',
      });
      expect((await worker.handle(notUpload)).status).toBe('skipped');
    });

    it.each([
      ['a key that climbs out of the bucket', 'uploads/../../etc/passwd'],
      ['a key over 1024 bytes', `uploads/0123/${'a'.repeat(1100)}.jpg`],
    ])('skips %s for good, with a warning, instead of throwing it for retries', async (_, key) => {
      const worker = thumbnailerFor(backend);
      const event = buildObjectCreatedEvent({ bucket: backend.storage.originals.bucket, key });
      expect(await worker.handle(event)).toMatchObject({
        status: 'skipped',
        reason: expect.stringMatching(/^key cannot be a stored object: /),
      });
      expect(worker.logger.entries).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: 'Skipped an event whose key cannot be a stored object',
        }),
      ]);
    });

    it('skips a vanished original that has no row, and fails one that has a row', async () => {
      const worker = thumbnailerFor(backend);
      const withdrawn = uploadKey('withdrawn.jpg');
      const bucket = backend.storage.originals.bucket;
      expect(await worker.handle(buildObjectCreatedEvent({ bucket, key: withdrawn }))).toMatchObject({
        status: 'skipped',
        reason: 'withdrawn',
      });
      expect(await backend.repository.getByOriginalKey(withdrawn)).toBeNull();

      const { key, event } = await upload(backend, photo, 'deleted.jpg', 'image/jpeg');
      await backend.storage.originals.delete(key);
      expect(await worker.handle(event)).toMatchObject({
        status: 'failed',
        reason: 'The file no longer exists in storage',
      });
      expect((await backend.repository.getByOriginalKey(key))?.thumbnailError).toBe(
        'The file no longer exists in storage',
      );
    });

    it('refuses an original over the byte limit from its size, before reading it', async () => {
      const big = await readFile(fixturePath('2569067123_aca715a2ee_o.jpg'));
      const { key, event } = await upload(backend, big, 'big.jpg', 'image/jpeg');
      const reads: string[] = [];
      const originals = new Proxy(backend.storage.originals, {
        get(target, property) {
          if (property === 'get' || property === 'getBytes') reads.push(property);
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const worker = createThumbnailer({
        storage: { originals, thumbnails: backend.storage.thumbnails },
        repository: backend.repository,
        settings: { ...settingsOf(backend.config), maxInputBytes: 512 * 1024 },
        logger: recordingLogger(),
      });
      const outcome = await worker.handle(event);
      expect(outcome).toEqual({
        status: 'failed',
        key,
        reason: 'The file is 809.7 KiB, over the limit of 512 KiB for one image',
      });
      expect(reads).toEqual([]);
      expect(await backend.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
    });
  });
}
