import { readFileSync } from 'node:fs';
import type { ImageRecord } from '@annot/db';
import { damagedImages, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckedImage, createStageWorker, PermanentFailure, type Stage } from '../src/index.ts';
import {
  recordingLogger,
  rowsWithKey,
  type TestBackend,
  testBackends,
  uploadOriginal,
} from './support/index.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

/** A stage that records what it was given and does what the test says. */
function probeStage(behaviour: (image: CheckedImage) => Promise<string> = async () => 'done') {
  const seen: CheckedImage[] = [];
  const stage: Stage<string> = {
    name: 'thumbnail',
    maxInputBytes: 1_000_000,
    logFields: { worker: 'probe' },
    alreadyDone: (row) => (row?.thumbnailStatus === 'completed' ? 'already done' : undefined),
    async work(image) {
      seen.push(image);
      return behaviour(image);
    },
    async record(result) {
      return { result };
    },
  };
  return { stage, seen };
}

for (const setup of await testBackends('worker-runtime')) {
  describe.runIf(setup.available)(`the stage runner on ${setup.name}`, () => {
    let backend: TestBackend;
    beforeAll(async () => {
      backend = await setup.open();
    });
    afterAll(() => backend?.close());

    const pendingRow = (key: string) =>
      backend.repository.createPending({
        filename: 'x',
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: null,
        width: 1,
        height: 1,
      });

    it('hands the work a checked image and logs one success line with the stage fields', async () => {
      const logger = recordingLogger();
      const { stage, seen } = probeStage();
      const { key, event } = await uploadOriginal(backend, jpeg, 'a.jpg', 'image/jpeg');
      const worker = createStageWorker({ ...backend, logger }, stage);

      expect(await worker.handle(event, { requestId: 'r1' })).toEqual({ status: 'completed', key });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ size: jpeg.length, format: { format: 'jpeg' } });
      expect(logger.entries).toEqual([
        {
          level: 'info',
          message: 'Thumbnail written',
          attributes: expect.objectContaining({
            key,
            requestId: 'r1',
            worker: 'probe',
            result: 'done',
            format: 'jpeg',
            bytes: jpeg.length,
          }),
        },
      ]);
    });

    it.each(damagedImages().map((d) => [d.name, d] as const))(
      'records %s as failed in plain words, never reaching the work when the structure shows it',
      async (_name, damaged) => {
        const logger = recordingLogger();
        // A decoder-only fault reaches the work, which fails the way a decoder does.
        const { stage, seen } = probeStage(async () => {
          throw new PermanentFailure('The file is damaged: decoder said so');
        });
        const { key, event } = await uploadOriginal(backend, damaged.bytes, 'broken.bin', 'image/jpeg');
        await pendingRow(key);
        const outcome = await createStageWorker({ ...backend, logger }, stage).handle(event);

        expect(outcome.status).toBe('failed');
        expect(seen).toHaveLength(damaged.caughtBy === 'structure' ? 0 : 1);
        const [row] = await rowsWithKey(backend, key);
        expect(row?.thumbnailStatus).toBe('failed');
        expect(row?.thumbnailError).toBe(outcome.reason);
        expect(outcome.reason).toMatch(/^The file is (incomplete|damaged|not a readable image)/);
      },
    );

    it('refuses what is not an accepted image before any work, naming what it is', async () => {
      const { stage, seen } = probeStage();
      const svg = readFileSync(fixturePath('circle.svg'));
      const { key, event } = await uploadOriginal(backend, svg, 'c.svg', 'image/svg+xml');
      await pendingRow(key);
      const outcome = await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(event);
      expect(outcome).toEqual({
        status: 'failed',
        key,
        reason: 'The file is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted',
      });
      expect(seen).toEqual([]);
    });

    it('skips work already recorded, without reading the original', async () => {
      const { stage, seen } = probeStage();
      const { key, event } = await uploadOriginal(backend, jpeg, 'b.jpg', 'image/jpeg');
      await pendingRow(key);
      await backend.repository.recordThumbnail({
        originalKey: key,
        thumbnailKey: 'thumbnails/x.jpg',
        contentType: 'image/jpeg',
        byteSize: jpeg.length,
        width: 600,
        height: 450,
      });
      await backend.storage.originals.delete(key);
      const logger = recordingLogger();
      const outcome = await createStageWorker({ ...backend, logger }, stage).handle(event);
      expect(outcome).toEqual({ status: 'skipped', key, reason: 'already done' });
      expect(seen).toEqual([]);
      expect(logger.entries.map((e) => e.message)).toEqual([
        'Thumbnail already recorded; duplicate event skipped',
      ]);
    });

    it('skips the event of a withdrawn upload (original gone, no row)', async () => {
      const { stage } = probeStage();
      const { key, event } = await uploadOriginal(backend, jpeg, 'c.jpg', 'image/jpeg');
      await backend.storage.originals.delete(key);
      const logger = recordingLogger();
      const outcome = await createStageWorker({ ...backend, logger }, stage).handle(event);
      expect(outcome).toEqual({ status: 'skipped', key, reason: 'original not found' });
      expect(logger.entries).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: 'Original is gone and has no row; upload was withdrawn, skipped',
        }),
      ]);
      expect(await rowsWithKey(backend, key)).toEqual([]);
    });

    it('records a row whose original is gone as failed, saying so', async () => {
      const { stage } = probeStage();
      const { key, event } = await uploadOriginal(backend, jpeg, 'd.jpg', 'image/jpeg');
      await pendingRow(key);
      await backend.storage.originals.delete(key);
      const outcome = await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(event);
      expect(outcome).toEqual({ status: 'failed', key, reason: 'The file no longer exists in storage' });
    });

    it('rethrows anything else for a retry, leaving the row pending', async () => {
      const transient = new Error('connection reset');
      const { stage } = probeStage(async () => {
        throw transient;
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'e.jpg', 'image/jpeg');
      await pendingRow(key);
      const logger = recordingLogger();
      const worker = createStageWorker(
        { ...backend, logger },
        { ...stage, describeError: () => 'Custom words' },
      );
      await expect(worker.handle(event)).rejects.toBe(transient);
      const [row] = (await rowsWithKey(backend, key)) as ImageRecord[];
      expect(row?.thumbnailStatus).toBe('pending');
      expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', message: 'Custom words' })]);
    });
  });
}
