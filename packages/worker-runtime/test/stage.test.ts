import { readFileSync } from 'node:fs';
import type { ImageRecord, ImageRepository } from '@annot/db';
import { thumbnailKeyFor } from '@annot/object-keys';
import { damagedImages, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckedImage,
  createStageWorker,
  PermanentFailure,
  SKIPPED,
  type Stage,
  workDeadline,
} from '../src/index.ts';
import {
  recordingLogger,
  retryEvent,
  rowsWithKey,
  setStagePending,
  type TestBackend,
  testBackends,
  uploadOriginal,
} from './support/index.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * A stage that records what it was given and does what the test says; it records a thumbnail key
 * in the real repository, so a withdrawn row shows as it would for a worker.
 */
function probeStage(
  repository: ImageRepository,
  behaviour: (image: CheckedImage) => Promise<string> = async () => 'done',
) {
  const seen: CheckedImage[] = [];
  const discarded: string[] = [];
  const stage: Stage<string> = {
    name: 'thumbnail',
    maxInputBytes: 1_000_000,
    leaseMs: 60_000,
    logFields: { worker: 'probe' },
    alreadyDone: (row) => (row.thumbnailStatus === 'completed' ? 'already done' : undefined),
    async work(image) {
      seen.push(image);
      return behaviour(image);
    },
    async record(result, _image, key) {
      const found = await repository.recordThumbnail({
        originalKey: key,
        thumbnailKey: thumbnailKeyFor(key),
      });
      return found ? { result } : null;
    },
    async discard(key) {
      discarded.push(key);
    },
  };
  return { stage, seen, discarded };
}

const messages = (logger: ReturnType<typeof recordingLogger>) => logger.entries.map((e) => e.message);

for (const setup of await testBackends('worker-runtime')) {
  describe.runIf(setup.available)(`the stage runner on ${setup.name}`, () => {
    let backend: TestBackend;
    beforeAll(async () => {
      backend = await setup.open();
    });
    afterAll(() => backend?.close());

    const probe = (behaviour?: (image: CheckedImage) => Promise<string>) =>
      probeStage(backend.repository, behaviour);

    it('hands the work a checked image and logs one success line with the stage fields', async () => {
      const logger = recordingLogger();
      const { stage, seen } = probe();
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

    it("hands the work the platform's remaining time, less the reserve, as its deadline", async () => {
      const remaining: number[] = [];
      const { stage } = probe();
      const timed: Stage<string> = {
        ...stage,
        deadline: { localMs: 60_000, reserveMs: 5_000 },
        async work(image, context) {
          remaining.push(context.deadline.remainingMs());
          return stage.work(image, context);
        },
      };
      const { event } = await uploadOriginal(backend, jpeg, 'deadline.jpg', 'image/jpeg');
      const worker = createStageWorker({ ...backend, logger: recordingLogger() }, timed);

      await worker.handle(event, { requestId: 'r-d', remainingMs: () => 20_000 });

      expect(remaining).toEqual([15_000]);
    });

    it.each(damagedImages().map((d) => [d.name, d] as const))(
      'records %s as failed in plain words, never reaching the work when the structure shows it',
      async (_name, damaged) => {
        const logger = recordingLogger();
        // A decoder-only fault reaches the work, which fails the way a decoder does.
        const { stage, seen } = probe(async () => {
          throw new PermanentFailure('The file is damaged: decoder said so');
        });
        const { key, event } = await uploadOriginal(backend, damaged.bytes, 'broken.bin', 'image/jpeg');
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
      const { stage, seen } = probe();
      const svg = readFileSync(fixturePath('circle.svg'));
      const { key, event } = await uploadOriginal(backend, svg, 'c.svg', 'image/svg+xml');
      const outcome = await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(event);
      expect(outcome).toEqual({
        status: 'failed',
        key,
        reason: 'The file is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted',
      });
      expect(seen).toEqual([]);
    });

    it('runs a failed stage again on a retry event once it is set back to pending', async () => {
      let fail = true;
      const { stage, seen } = probe(async () => {
        if (fail) throw new PermanentFailure('The model declined');
        return 'second time';
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'retry.jpg', 'image/jpeg');
      const worker = createStageWorker({ ...backend, logger: recordingLogger() }, stage);
      expect(await worker.handle(event)).toMatchObject({ status: 'failed', reason: 'The model declined' });

      fail = false;
      await setStagePending(backend, key, 'thumbnail');
      const logger = recordingLogger();
      const outcome = await createStageWorker({ ...backend, logger }, stage).handle(
        retryEvent(backend, key, 'thumbnail'),
        { requestId: 'r-retry' },
      );

      expect(outcome).toEqual({ status: 'completed', key });
      expect(seen).toHaveLength(2);
      const [row] = await rowsWithKey(backend, key);
      expect(row).toMatchObject({ thumbnailStatus: 'completed', thumbnailError: null });
      expect(logger.entries).toEqual([
        {
          level: 'info',
          message: 'Thumbnail written',
          attributes: expect.objectContaining({
            key,
            requestId: 'r-retry',
            trigger: 'retry',
            result: 'second time',
          }),
        },
      ]);
    });

    it('skips a retry of the other stage without touching the row or reading the original', async () => {
      const { stage, seen } = probe();
      const { key } = await uploadOriginal(backend, jpeg, 'other.jpg', 'image/jpeg');
      const outcome = await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(
        retryEvent(backend, key, 'annotation'),
      );
      expect(outcome).toMatchObject({ status: 'skipped', key });
      expect(seen).toEqual([]);
      expect((await rowsWithKey(backend, key))[0]?.thumbnailStatus).toBe('pending');
    });

    it('skips a retry of a stage that completed meanwhile (already done?), as a duplicate', async () => {
      const { stage, seen } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'twice.jpg', 'image/jpeg');
      const worker = createStageWorker({ ...backend, logger: recordingLogger() }, stage);
      expect(await worker.handle(event)).toEqual({ status: 'completed', key });
      expect(await worker.handle(retryEvent(backend, key, 'thumbnail'))).toEqual({
        status: 'skipped',
        key,
        reason: 'already done',
      });
      expect(seen).toHaveLength(1);
    });

    it('skips work already recorded, without reading the original', async () => {
      const { stage, seen } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'b.jpg', 'image/jpeg');
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
      expect(messages(logger)).toEqual(['Thumbnail already recorded; duplicate event skipped']);
    });

    it('of five deliveries at once, one works and four stand down, each saying so', async () => {
      const working = gate();
      const { stage, seen } = probe(async () => {
        await working.opened;
        return 'done';
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'five.jpg', 'image/jpeg');
      const logger = recordingLogger();
      const worker = createStageWorker({ ...backend, logger }, stage);

      const settled: string[] = [];
      const deliveries = Array.from({ length: 5 }, () =>
        worker.handle(structuredClone(event)).then((outcome) => {
          settled.push(outcome.status);
          return outcome;
        }),
      );
      // The four that lost the claim return while the winner is still working (reading the
      // original, then held in the work).
      await expect.poll(() => settled.length, { timeout: 10_000 }).toBe(4);
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
      working.open();
      const outcomes = await Promise.all(deliveries);

      expect(outcomes.filter((o) => o.status === 'completed')).toEqual([{ status: 'completed', key }]);
      expect(outcomes.filter((o) => o.status === 'skipped')).toEqual(
        Array(4).fill({ status: 'skipped', key, reason: SKIPPED.inProgress }),
      );
      expect(messages(logger).filter((m) => m.includes('stands down'))).toEqual(
        Array(4).fill('Thumbnail is being made by another delivery of this event; this one stands down'),
      );
      expect(seen).toHaveLength(1);
      // Released: a sixth delivery finds the work recorded, not a held stage.
      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: 'already done' });
    });

    it('lets a later delivery do the work once the lease of one that hung has run out', async () => {
      const hung = gate();
      const { stage, seen } = probe(async () => {
        await hung.opened;
        return 'late';
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'hung.jpg', 'image/jpeg');
      const short = { ...stage, leaseMs: 1500 };
      const claimedBy = Date.now() + short.leaseMs;
      const first = createStageWorker({ ...backend, logger: recordingLogger() }, short).handle(event);
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);

      const worker = createStageWorker(
        { ...backend, logger: recordingLogger() },
        { ...short, work: async () => 'second' },
      );
      expect(await worker.handle(event)).toEqual({ status: 'skipped', key, reason: SKIPPED.inProgress });
      // Redelivered until one comes after the lease ran out (after claimedBy), and that one works.
      await expect
        .poll(() => worker.handle(event), { timeout: 10_000, interval: 100 })
        .toEqual({ status: 'completed', key });
      expect(Date.now()).toBeGreaterThanOrEqual(claimedBy);

      // The first wakes up at last: its result lands on the same row, and its release does not
      // free a lease it no longer holds.
      hung.open();
      expect(await first).toEqual({ status: 'completed', key });
      expect(await rowsWithKey(backend, key)).toEqual([
        expect.objectContaining({ thumbnailStatus: 'completed' }),
      ]);
    });

    it('can work again on a redelivery after a permanent failure', async () => {
      let attempts = 0;
      const { stage } = probe(async () => {
        attempts++;
        if (attempts === 1) throw new PermanentFailure('The model said no');
        return 'done';
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'again.jpg', 'image/jpeg');
      const worker = createStageWorker({ ...backend, logger: recordingLogger() }, stage);
      expect(await worker.handle(event)).toMatchObject({ status: 'failed', reason: 'The model said no' });
      expect(await worker.handle(event)).toEqual({ status: 'completed', key });
    });

    it('skips the event of a withdrawn upload (row and original gone), discarding what the stage stored', async () => {
      const { stage, seen, discarded } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'c.jpg', 'image/jpeg');
      await backend.repository.deleteByOriginalKey(key);
      await backend.storage.originals.delete(key);
      const logger = recordingLogger();
      const outcome = await createStageWorker({ ...backend, logger }, stage).handle(event);
      expect(outcome).toEqual({ status: 'skipped', key, reason: SKIPPED.withdrawn });
      expect(seen).toEqual([]);
      expect(discarded).toEqual([key]);
      expect(logger.entries).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: 'Upload was withdrawn (its row is gone); thumbnail skipped',
        }),
      ]);
      expect(await rowsWithKey(backend, key)).toEqual([]);
    });

    it('skips, recording nothing, an upload withdrawn while it was being worked on', async () => {
      const { key, event } = await uploadOriginal(backend, jpeg, 'mid.jpg', 'image/jpeg');
      const withdraw = () => backend.repository.deleteByOriginalKey(key);
      const { stage, discarded } = probe(async () => {
        await withdraw();
        return 'done';
      });
      expect(await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(event)).toEqual(
        {
          status: 'skipped',
          key,
          reason: SKIPPED.withdrawn,
        },
      );
      expect(discarded).toEqual([key]);

      // A permanent failure of a withdrawn upload records nothing either.
      const second = await uploadOriginal(backend, jpeg, 'mid-fail.jpg', 'image/jpeg');
      const failing = probe(async () => {
        await backend.repository.deleteByOriginalKey(second.key);
        throw new PermanentFailure('The file is damaged');
      });
      expect(
        await createStageWorker({ ...backend, logger: recordingLogger() }, failing.stage).handle(
          second.event,
        ),
      ).toEqual({ status: 'skipped', key: second.key, reason: SKIPPED.withdrawn });
      expect(await rowsWithKey(backend, key)).toEqual([]);
      expect(await rowsWithKey(backend, second.key)).toEqual([]);
    });

    it('throws a failing discard for a retry, after an error line', async () => {
      const { stage } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'discard.jpg', 'image/jpeg');
      await backend.repository.deleteByOriginalKey(key);
      const broken = new Error('storage unreachable');
      const logger = recordingLogger();
      const worker = createStageWorker(
        { ...backend, logger },
        {
          ...stage,
          discard: async () => {
            throw broken;
          },
        },
      );
      await expect(worker.handle(event)).rejects.toBe(broken);
      expect(logger.entries).toEqual([
        expect.objectContaining({ level: 'error', attributes: expect.objectContaining({ key }) }),
      ]);
    });

    it('records a row whose original is gone as failed, saying so', async () => {
      const { stage } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'd.jpg', 'image/jpeg');
      await backend.storage.originals.delete(key);
      const outcome = await createStageWorker({ ...backend, logger: recordingLogger() }, stage).handle(event);
      expect(outcome).toEqual({ status: 'failed', key, reason: 'The file no longer exists in storage' });
    });

    it('rethrows anything else for a retry, leaving the row pending and the stage free', async () => {
      const transient = new Error('connection reset');
      const { stage } = probe(async () => {
        throw transient;
      });
      const { key, event } = await uploadOriginal(backend, jpeg, 'e.jpg', 'image/jpeg');
      const logger = recordingLogger();
      const worker = createStageWorker(
        { ...backend, logger },
        { ...stage, describeError: () => 'Custom words' },
      );
      await expect(worker.handle(event)).rejects.toBe(transient);
      const [row] = (await rowsWithKey(backend, key)) as ImageRecord[];
      expect(row?.thumbnailStatus).toBe('pending');
      expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', message: 'Custom words' })]);
      // The retry need not wait for the lease to run out.
      const retry = createStageWorker({ ...backend, logger: recordingLogger() }, probe().stage);
      expect(await retry.handle(event)).toEqual({ status: 'completed', key });
    });

    it('keeps the outcome when releasing the lease fails, and says the lease runs out by itself', async () => {
      const { stage } = probe();
      const { key, event } = await uploadOriginal(backend, jpeg, 'f.jpg', 'image/jpeg');
      const repository = new Proxy(backend.repository, {
        get(target, property) {
          if (property === 'releaseStage') return async () => Promise.reject(new Error('connection lost'));
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const logger = recordingLogger();
      const outcome = await createStageWorker({ ...backend, repository, logger }, stage).handle(event);
      expect(outcome).toEqual({ status: 'completed', key });
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'Could not release the thumbnail lease; it runs out by itself',
          attributes: expect.objectContaining({ key, error: 'connection lost' }),
        }),
      );
    });
  });
}

describe('workDeadline', () => {
  it("counts from the platform's remaining time when it tells it (Lambda), less the reserve", () => {
    let left = 30_000;
    const deadline = workDeadline({ localMs: 60_000, reserveMs: 5_000 }, () => left);
    expect(deadline.remainingMs()).toBe(25_000);
    left = 4_000;
    expect(deadline.remainingMs()).toBe(-1_000);
  });

  it('counts WORKER_DEADLINE_MS from its start outside Lambda, on the given clock', () => {
    let now = 1_000;
    const deadline = workDeadline({ localMs: 60_000, reserveMs: 5_000 }, undefined, () => now);
    expect(deadline.remainingMs()).toBe(55_000);
    now += 50_000;
    expect(deadline.remainingMs()).toBe(5_000);
  });

  it('has no deadline of its own for a stage without settings', () => {
    expect(workDeadline(undefined).remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });
});
