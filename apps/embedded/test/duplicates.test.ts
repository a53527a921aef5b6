import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '@annot/config';
import { DirectoryObjectStore } from '@annot/storage';
import { distinctCopy, fixturePath } from '@annot/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PublishingObjectStore } from '../src/publishing-store.ts';
import { createEmbeddedSystem } from '../src/system.ts';
import { waitUntilSettled } from './system.ts';

async function upload(url: string, filename: string, bytes: Buffer<ArrayBuffer>) {
  const form = new FormData();
  form.append('image', new Blob([bytes], { type: 'image/jpeg' }), filename);
  const response = await fetch(`${url}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  const body = (await response.json()) as { images: { id: number; duplicate: boolean }[] };
  return { status: response.status, image: body.images[0]! };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('duplicates in the embedded system', () => {
  it('a duplicate raises no "Object Created" event: no second thumbnail or annotation run', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'embedded-dupes-'));
    const events: unknown[] = [];
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    const system = await createEmbeddedSystem({
      config,
      logger: pino({ level: 'silent' }),
      onEvent: (event) => events.push(event),
    });
    try {
      const url = await system.app.listen({ host: '127.0.0.1', port: 0 });
      const bytes = distinctCopy(await readFile(fixturePath('Landscape_1.jpg')), 'embedded duplicate');
      const first = await upload(url, 'first.jpg', bytes);
      expect(first).toMatchObject({ status: 201, image: { duplicate: false } });
      const [settled] = await waitUntilSettled(url, [first.image.id]);

      // Twice: once while nothing runs any more, and once more at the same time as another copy.
      const again = await upload(url, 'again.jpg', bytes);
      const [x, y] = await Promise.all([upload(url, 'x.jpg', bytes), upload(url, 'y.jpg', bytes)]);
      for (const outcome of [again, x, y]) {
        expect(outcome).toEqual({
          status: 200,
          image: expect.objectContaining({ id: first.image.id, duplicate: true }),
        });
      }
      // One event, the first upload's: the workers ran once, and the image was not written since.
      expect(events).toHaveLength(1);
      const rows = (await system.repository.listPage({ limit: 10 })).images;
      expect(rows.map((r) => [r.id, r.updatedAt.toISOString()])).toEqual([
        [first.image.id, settled!.updatedAt],
      ]);
      if (config.storage.kind !== 'directory') throw new Error('the embedded system stores in a directory');
      expect(await filesUnder(path.join(config.storage.root, 'originals'))).toHaveLength(1);
      expect(await filesUnder(path.join(config.storage.root, 'thumbnails'))).toHaveLength(1);
    } finally {
      await system.close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the publishing store', () => {
  it('raises the event only once the inner put has committed: a body failing at its end raises none', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'embedded-publish-'));
    const events: unknown[] = [];
    const store = new PublishingObjectStore(
      new DirectoryObjectStore({ root, bucket: 'originals' }),
      (event) => events.push(event),
    );
    try {
      async function* refusedAtEnd() {
        yield Buffer.from('bytes already in the library');
        throw new Error('duplicate');
      }
      await expect(store.put('uploads/a/x.jpg', Readable.from(refusedAtEnd()))).rejects.toThrow('duplicate');
      expect(events).toEqual([]);
      expect(await store.head('uploads/a/x.jpg')).toBeNull();

      await store.put('uploads/b/y.jpg', Buffer.from('new bytes'));
      expect(events).toHaveLength(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
