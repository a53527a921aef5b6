import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { buildObjectCreatedEvent } from '@annot/events';
import { createStorage } from '@annot/storage';
import { ACCEPTED_FIXTURES, fixturePath } from '@annot/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startLocalWorkers } from '../src/workers.ts';

describe('the local workers', () => {
  it('run at most LOCAL_WORKER_CONCURRENCY at once, and every upload still gets both stages', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'embedded-cap-'));
    const config = loadConfig({ DATA_DIR: dataDir, LOCAL_WORKER_CONCURRENCY: '2' });
    const repository = await openRepository({ database: config.database });
    const storage = createStorage(config.storage, config.presign);
    // Each run waits a little first, so that runs would overlap if nothing held them back.
    const bus = startLocalWorkers({
      config,
      storage,
      repository,
      log: pino({ level: 'silent' }),
      delayMs: 20,
    });
    try {
      const fixtures = ACCEPTED_FIXTURES.slice(0, 4);
      const keys: string[] = [];
      // Stored as the web tier stores an upload: the row, the original, its size.
      for (const [n, fixture] of fixtures.entries()) {
        const key = `uploads/cap-${n}/${fixture.name}`;
        const bytes = await readFile(fixturePath(fixture.name));
        await repository.createPending({
          filename: fixture.name,
          originalKey: key,
          contentType: fixture.type,
          byteSize: null,
          width: fixture.width,
          height: fixture.height,
        });
        await storage.originals.put(key, bytes, { contentType: fixture.type });
        await repository.recordOriginalSize(key, bytes.length);
        keys.push(key);
      }

      // Eight runs (two per upload) published at once.
      for (const key of keys) bus.publish(buildObjectCreatedEvent({ bucket: storage.originals.bucket, key }));
      let most = 0;
      const sampler = setInterval(() => {
        most = Math.max(most, bus.running);
      }, 2);
      await bus.drain();
      clearInterval(sampler);

      expect(most).toBe(2);
      expect(bus.deadLetters).toEqual([]);
      for (const key of keys) {
        expect(await repository.getByOriginalKey(key)).toMatchObject({
          thumbnailStatus: 'completed',
          annotationStatus: 'completed',
        });
      }
    } finally {
      await repository.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
