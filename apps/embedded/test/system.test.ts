import { readFile, rm } from 'node:fs/promises';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { fixturePath } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { startDevSystem } from './system.ts';

/** Uploads one fixture as the upload page does; returns the new image's id. */
async function upload(url: string): Promise<number> {
  const form = new FormData();
  form.append('image', new Blob([await readFile(fixturePath('Landscape_1.jpg'))]), 'Landscape_1.jpg');
  const response = await fetch(`${url}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  expect(response.status).toBe(201);
  const { images } = (await response.json()) as { images: { id: number }[] };
  return images[0]!.id;
}

/** A stopped system's row, read with a connection of its own. */
async function rowAfterClose(dataDir: string, id: number) {
  const repository = await openRepository({ database: loadConfig({ DATA_DIR: dataDir }).database });
  try {
    return await repository.getById(id);
  } finally {
    await repository.close();
  }
}

describe('the embedded system', () => {
  it('lets the workers finish what they were given before the database closes', async () => {
    // Both deliveries (thumbnailer, annotator) are held until the close has begun.
    let held = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let bothHeld!: () => void;
    const bothArrived = new Promise<void>((resolve) => {
      bothHeld = resolve;
    });
    const running = await startDevSystem({}, undefined, {
      aroundDelivery: async (_target, run) => {
        if (++held === 2) bothHeld();
        await released;
        await run();
      },
    });
    try {
      const id = await upload(running.url);
      await bothArrived;
      expect(held).toBe(2);
      const closing = running.system.close();
      release();
      await closing;

      expect(await rowAfterClose(running.dataDir, id)).toMatchObject({
        thumbnailStatus: 'completed',
        annotationStatus: 'completed',
      });
    } finally {
      await rm(running.dataDir, { recursive: true, force: true });
    }
  });

  it('runs no worker with LOCAL_WORKERS=false: uploads are stored and stay pending', async () => {
    const running = await startDevSystem({ LOCAL_WORKERS: 'false' });
    try {
      const id = await upload(running.url);
      const stored = await running.system.repository.getById(id);
      expect(await running.system.storage.originals.head(stored!.originalKey)).not.toBeNull();
      // Closing the system lets every worker it runs finish first (the test above): a stage still
      // pending once it has closed was never going to be done in this process.
      await running.system.close();

      expect(await rowAfterClose(running.dataDir, id)).toMatchObject({
        thumbnailStatus: 'pending',
        annotationStatus: 'pending',
      });
    } finally {
      await rm(running.dataDir, { recursive: true, force: true });
    }
  });
});
