import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import { createStorage, type ObjectStore, type Storage } from '@annot/storage';
import { createTestDatabase, fixturePath, mariaDbAvailable, startS3Server } from '@annot/testing';
import {
  CreateMultipartUploadCommand,
  ListObjectVersionsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEVER_FINISHED, ReconciliationSweep, sweepOnce } from '../src/sweep.ts';
import { withMethod } from './helper.ts';

const STALE = 1000;
/** The documented sweep settings, with a short STALE_UPLOAD_MS. */
const SETTINGS = { ...loadConfig({}).sweep, staleUploadMs: STALE };
const ORPHAN_GUARD = SETTINGS.orphanGuard;
const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const log = pino({ level: 'silent' });
/** The sweep's clock, moved past STALE_UPLOAD_MS (or far past it, for the give-up rule). */
const later =
  (staleTimes = 10) =>
  () =>
    Date.now() + staleTimes * STALE;

interface Backend {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  /** Keys whose event the sweep raised again. */
  readonly renotified: string[];
  /** Whether this storage raises events itself (S3 does; a bare directory does not). */
  readonly renotifies: boolean;
  abandonWrite(key: string): Promise<void>;
  /** How many stored versions (and delete markers) of exactly `key` a bucket holds. */
  storedVersions(store: keyof Storage, key: string): Promise<number>;
  close(): Promise<void>;
}

/** Records renotify calls, passing them on. */
function recording(store: ObjectStore, calls: string[]): ObjectStore {
  return withMethod(store, 'renotify', (key: string) => {
    calls.push(key);
    return store.renotify(key);
  });
}

const SETUPS = [
  {
    name: 'SQLite + directory',
    available: true,
    async open(): Promise<Backend> {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sweep-'));
      const config = loadConfig({ DATA_DIR: dataDir });
      const repository = await openRepository({ database: config.database, migrate: true });
      const base = createStorage(config.storage, config.presign);
      const renotified: string[] = [];
      return {
        repository,
        storage: { originals: recording(base.originals, renotified), thumbnails: base.thumbnails },
        renotified,
        renotifies: false,
        async abandonWrite(key) {
          const dir = path.join(dataDir, 'blobs', base.originals.bucket, path.dirname(key));
          await mkdir(dir, { recursive: true });
          await writeFile(path.join(dir, '.tmp-crashed'), 'half');
        },
        storedVersions: async (store, key) => ((await base[store].head(key)) ? 1 : 0),
        async close() {
          await repository.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'MariaDB + S3 (s3rver)',
    available: await mariaDbAvailable(),
    async open(): Promise<Backend> {
      const database = await createTestDatabase('sweep');
      // Versioned, as the buckets are in AWS: the sweep's deletes must leave no noncurrent version.
      const s3 = await startS3Server(['sweep-originals', 'sweep-thumbnails'], { versioned: true });
      const config = loadConfig({
        ...s3.env({ originals: 'sweep-originals', thumbnails: 'sweep-thumbnails' }),
        DATABASE_URL: database.url,
      });
      const repository = await openRepository({ database: config.database, migrate: true });
      const base = createStorage(config.storage, config.presign, {
        s3ClientConfig: { credentials: s3.credentials },
      });
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: s3.credentials,
      });
      const renotified: string[] = [];
      return {
        repository,
        storage: { originals: recording(base.originals, renotified), thumbnails: base.thumbnails },
        renotified,
        renotifies: true,
        async abandonWrite(key) {
          const { UploadId } = await client.send(
            new CreateMultipartUploadCommand({ Bucket: 'sweep-originals', Key: key }),
          );
          await client.send(
            new UploadPartCommand({
              Bucket: 'sweep-originals',
              Key: key,
              UploadId,
              PartNumber: 1,
              Body: 'x',
            }),
          );
        },
        async storedVersions(store, key) {
          const listed = await client.send(
            new ListObjectVersionsCommand({ Bucket: base[store].bucket, Prefix: key }),
          );
          return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].filter((v) => v.Key === key)
            .length;
        },
        async close() {
          client.destroy();
          await repository.close();
          await s3.stop();
          await database.drop();
        },
      };
    },
  },
];

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`the reconciliation sweep on ${setup.name}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await setup.open();
    });
    afterAll(() => b?.close());

    const row = (key: string, byteSize: number | null) =>
      b.repository.createPending({
        filename: path.basename(key),
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize,
        width: 600,
        height: 450,
      });

    it('leaves everything younger than STALE_UPLOAD_MS alone', async () => {
      const key = uploadKey('young.jpg');
      await row(key, null);
      const report = await sweepOnce(b, { ...SETTINGS });
      expect(report).toEqual({
        removed: 0,
        repaired: 0,
        renotified: 0,
        failed: 0,
        clearedWrites: 0,
        orphans: 0,
        errors: 0,
      });
      expect(await b.repository.getByOriginalKey(key)).not.toBeNull();
      await b.repository.deleteByOriginalKey(key);
    });

    it('removes a row whose original never arrived (a crash mid-upload), with its thumbnail', async () => {
      const key = uploadKey('crashed.jpg');
      await row(key, null);
      await b.storage.thumbnails.put(thumbnailKeyFor(key), jpeg, { contentType: 'image/jpeg' });

      expect(await sweepOnce(b, { ...SETTINGS, now: later() })).toMatchObject({ removed: 1 });
      expect(await b.repository.getByOriginalKey(key)).toBeNull();
      expect(await b.storage.thumbnails.head(thumbnailKeyFor(key))).toBeNull();
    });

    it('completes a row whose original was stored but never recorded, and raises its event again', async () => {
      const key = uploadKey('stored.jpg');
      await row(key, null);
      await b.storage.originals.put(key, jpeg, { contentType: 'image/jpeg' });

      expect(await sweepOnce(b, { ...SETTINGS, now: later() })).toMatchObject({ repaired: 1 });
      expect((await b.repository.getByOriginalKey(key))?.byteSize).toBe(jpeg.length);
      expect(b.renotified).toContain(key);
      await b.repository.deleteByOriginalKey(key);
    });

    it('sends a stored image whose stages never started on to the workers, once per STALE_UPLOAD_MS', async () => {
      const key = uploadKey('stalled.jpg');
      await row(key, jpeg.length);
      await b.storage.originals.put(key, jpeg, { contentType: 'image/jpeg' });
      b.renotified.length = 0;

      // Past STALE_UPLOAD_MS, and young enough to be sent on (not given up on).
      const report = await sweepOnce(b, { ...SETTINGS, now: later(2) });
      const after = await b.repository.getByOriginalKey(key);
      if (b.renotifies) {
        expect(report).toMatchObject({ renotified: 1, failed: 0 });
        expect(after).toMatchObject({ thumbnailStatus: 'pending', annotationStatus: 'pending' });
        // Just sent on: not again until STALE_UPLOAD_MS has passed once more.
        expect(await sweepOnce(b, { ...SETTINGS, now: () => Date.now() + STALE / 2 })).toMatchObject({
          renotified: 0,
        });
      } else {
        // A bare directory raises no events: no worker will ever come, so the stages fail plainly.
        expect(report).toMatchObject({ renotified: 0, failed: 1 });
        expect(after).toMatchObject({ thumbnailError: NEVER_FINISHED, annotationError: NEVER_FINISHED });
      }
      expect(b.renotified).toEqual([key]);
      await b.repository.deleteByOriginalKey(key);
    });

    it('gives up on a stage the workers never finish after three tries: failed, in plain words', async () => {
      const key = uploadKey('never.jpg');
      await row(key, jpeg.length);
      await b.storage.originals.put(key, jpeg, { contentType: 'image/jpeg' });
      await b.repository.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });

      expect(await sweepOnce(b, { ...SETTINGS, now: later(10) })).toMatchObject({ failed: 1 });
      expect(await b.repository.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'completed',
        annotationStatus: 'failed',
        annotationError: NEVER_FINISHED,
      });
    });

    it('clears writes a crashed process left unfinished', async () => {
      await b.abandonWrite(uploadKey('half.jpg'));
      expect(await sweepOnce(b, { ...SETTINGS, now: later() })).toMatchObject({ clearedWrites: 1 });
    });

    it('deletes an original (and thumbnail) that no row names, walking the bucket a page per run', async () => {
      const orphan = uploadKey('orphan.jpg');
      await b.storage.originals.put(orphan, jpeg, { contentType: 'image/jpeg' });
      await b.storage.thumbnails.put(thumbnailKeyFor(orphan), jpeg, { contentType: 'image/jpeg' });
      const named = uploadKey('named.jpg');
      await row(named, jpeg.length);
      await b.storage.originals.put(named, jpeg, { contentType: 'image/jpeg' });

      // Too young: left alone. (S3 lists LastModified to the second, so an object can look up to
      // a second older than it is: "young" is judged against 10 s here, not the 1 s STALE.)
      expect(await sweepOnce(b, { ...SETTINGS, staleUploadMs: 10_000 })).toMatchObject({ orphans: 0 });
      const cursor = {};
      let orphans = 0;
      for (let run = 0; run < 5; run++)
        orphans += (await sweepOnce(b, { ...SETTINGS, now: later() }, cursor)).orphans;
      expect(orphans).toBe(1);
      expect(await b.storage.originals.head(orphan)).toBeNull();
      expect(await b.storage.thumbnails.head(thumbnailKeyFor(orphan))).toBeNull();
      // Gone for good: on versioned S3, no noncurrent version or delete marker either.
      expect(await b.storedVersions('originals', orphan)).toBe(0);
      expect(await b.storedVersions('thumbnails', thumbnailKeyFor(orphan))).toBe(0);
      expect(await b.storage.originals.head(named)).not.toBeNull();
      await b.repository.deleteByOriginalKey(named);
      await b.storage.originals.delete(named);
    });

    it('leaves many originals without rows alone: a database that lost rows is not a reason to delete images', async () => {
      const keys = Array.from({ length: ORPHAN_GUARD + 1 }, (_, i) => uploadKey(`restored-${i}.jpg`));
      for (const key of keys) await b.storage.originals.put(key, jpeg, { contentType: 'image/jpeg' });
      const errors: unknown[] = [];
      const log = { info() {}, warn() {}, error: (...args: unknown[]) => void errors.push(args) };
      const report = await sweepOnce({ ...b, log }, { ...SETTINGS, now: later() });
      expect(report.orphans).toBe(0);
      expect(errors).toHaveLength(1);
      for (const key of keys) expect(await b.storage.originals.head(key)).not.toBeNull();
      for (const key of keys) await b.storage.originals.delete(key);
    });

    it('goes on with the other steps when one fails, and counts it', async () => {
      await b.abandonWrite(uploadKey('after-failure.jpg'));
      const broken = withMethod(b.repository, 'staleUploads', () =>
        Promise.reject(new Error('statement timed out')),
      );
      const report = await sweepOnce(
        { repository: broken, storage: b.storage },
        { ...SETTINGS, now: later() },
      );
      expect(report).toMatchObject({ errors: 1, clearedWrites: 1 });
    });

    it('is safe when several processes sweep at once', async () => {
      const keys = Array.from({ length: 5 }, (_, i) => uploadKey(`race-${i}.jpg`));
      for (const key of keys) await row(key, null);
      const reports = await Promise.all(
        Array.from({ length: 3 }, () => sweepOnce(b, { ...SETTINGS, now: later() })),
      );
      expect(reports.reduce((sum, r) => sum + r.removed, 0)).toBe(5);
      for (const key of keys) expect(await b.repository.getByOriginalKey(key)).toBeNull();
    });

    it('runs on its timer, and a failed run is logged and retried', async () => {
      const key = uploadKey('timer.jpg');
      await row(key, null);
      let calls = 0;
      const flaky = withMethod(b.repository, 'staleUploads', (before: Date, limit: number) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('database went away'));
        return b.repository.staleUploads(before, limit);
      });
      const sweep = new ReconciliationSweep(
        { repository: flaky, storage: b.storage, log },
        { ...SETTINGS, intervalMs: 50, now: later() },
      );
      sweep.start();
      for (let i = 0; i < 100 && (await b.repository.getByOriginalKey(key)) !== null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await sweep.stop();
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(await b.repository.getByOriginalKey(key)).toBeNull();
    });
  });
}

it('the directory store under DATA_DIR is where the sweep looks for temp files', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sweep-layout-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  const storage = createStorage(config.storage, config.presign);
  await storage.originals.put(uploadKey('a.jpg'), jpeg);
  expect(await readdir(path.join(dataDir, 'blobs', storage.originals.bucket))).toEqual(['uploads']);
  await rm(dataDir, { recursive: true, force: true });
});
