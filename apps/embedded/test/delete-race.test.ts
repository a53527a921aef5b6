import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '@annot/storage';
import { createTestDatabase, fixturePath, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

const ADMIN = 'race-operator-token';

/** A gate a worker waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

/**
 * The workers, held where a test wants them: before a delivery runs at all, or in the
 * thumbnailer's put (before the object is written, or after), so a DELETE lands in that window.
 */
class Workers {
  started = 0;
  finished = 0;
  beforeRun: Promise<void> | null = null;
  beforePut: Promise<void> | null = null;
  afterPut: Promise<void> | null = null;
  /** Puts that reached the held point. */
  putsHeld = 0;

  readonly aroundDelivery = async (_target: string, run: () => Promise<void>) => {
    this.started++;
    try {
      if (this.beforeRun) await this.beforeRun;
      await run();
    } finally {
      this.finished++;
    }
  };

  readonly workerStorage = (storage: Storage): Storage => {
    const thumbnails = storage.thumbnails;
    const held = Object.create(thumbnails) as typeof thumbnails;
    held.put = async (...args: Parameters<typeof thumbnails.put>) => {
      if (this.beforePut) {
        this.putsHeld++;
        await this.beforePut;
      }
      const result = await thumbnails.put(...args);
      if (this.afterPut) {
        this.putsHeld++;
        await this.afterPut;
      }
      return result;
    };
    return { originals: storage.originals, thumbnails: held };
  };
}

interface Backend {
  readonly name: string;
  readonly enabled: boolean;
  env(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;
}

const BACKENDS: Backend[] = [
  { name: 'SQLite', enabled: true, env: async () => ({ env: {}, drop: async () => {} }) },
  {
    name: 'MariaDB',
    enabled: await mariaDbAvailable(),
    async env() {
      const database: TestDatabase = await createTestDatabase('embedded_delete_race');
      return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
    },
  },
];

// Each back end gets its describe; one MariaDB does not answer for is counted as skipped (outside CI).
for (const b of BACKENDS)
  describe.runIf(b.enabled).each([b])('a delete racing the workers on $name', (backend) => {
    const workers = new Workers();
    let running: RunningSystem;
    let drop: () => Promise<void>;
    const jpeg = readFile(fixturePath('Landscape_1.jpg'));

    beforeAll(async () => {
      const { env, drop: dropDb } = await backend.env();
      drop = dropDb;
      running = await startDevSystem({ ...env, ADMIN_TOKEN: ADMIN }, undefined, {
        aroundDelivery: workers.aroundDelivery,
        workerStorage: workers.workerStorage,
      });
    });
    afterAll(async () => {
      await running?.stop();
      await drop?.();
    });

    async function upload(): Promise<{ id: number; key: string }> {
      const form = new FormData();
      form.append('image', new Blob([await jpeg], { type: 'image/jpeg' }), 'race.jpg');
      const response = await fetch(`${running.url}/upload`, {
        method: 'POST',
        body: form,
        headers: { accept: 'application/json' },
      });
      expect(response.status).toBe(201);
      const { images } = (await response.json()) as { images: { id: number }[] };
      const id = images[0]!.id;
      const row = await running.system.repository.getById(id);
      return { id, key: row!.originalKey };
    }

    const remove = (id: number) =>
      fetch(`${running.url}/api/images/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN}` },
      });

    /** Every file in the thumbnails bucket's directory. */
    async function thumbnailFiles(): Promise<string[]> {
      const dir = path.join(running.dataDir, 'blobs', 'thumbnails');
      try {
        const entries = await readdir(dir, { recursive: true, withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => e.name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    }

    async function expectGone(id: number, key: string) {
      const { repository, storage } = running.system;
      expect(await repository.getById(id)).toBeNull();
      expect(await repository.getByOriginalKey(key)).toBeNull();
      expect(await storage.originals.head(key)).toBeNull();
      expect(await thumbnailFiles()).toEqual([]);
      expect((await fetch(`${running.url}/api/images/${id}`)).status).toBe(404);
    }

    it('before the event is handled: the workers find no row and leave nothing', async () => {
      const held = gate();
      workers.beforeRun = held.opened;
      const base = workers.finished;
      const { id, key } = await upload();
      await until('both deliveries held', () => workers.started - base >= 2);
      expect((await remove(id)).status).toBe(204);
      workers.beforeRun = null;
      held.open();
      await until('both deliveries finished', () => workers.finished - base >= 2);
      await expectGone(id, key);
    });

    it.each([
      ['before it stores the thumbnail', 'beforePut'],
      ['after it stores the thumbnail, before it records it', 'afterPut'],
    ] as const)(
      'while the thumbnailer works (%s): no row comes back, no thumbnail is left',
      async (_when, point) => {
        const held = gate();
        workers[point] = held.opened;
        const heldBefore = workers.putsHeld;
        const base = workers.finished;
        const { id, key } = await upload();
        await until('the thumbnailer held in its put', () => workers.putsHeld > heldBefore);
        expect((await remove(id)).status).toBe(204);
        workers[point] = null;
        held.open();
        await until('both deliveries finished', () => workers.finished - base >= 2);
        await expectGone(id, key);
      },
    );

    it('after the workers finished: everything goes', async () => {
      const base = workers.finished;
      const { id, key } = await upload();
      await waitUntilSettled(running.url, [id], 30_000);
      await until('both deliveries finished', () => workers.finished - base >= 2);
      expect(await thumbnailFiles()).toHaveLength(1);
      expect((await remove(id)).status).toBe(204);
      await expectGone(id, key);
    });
  });
