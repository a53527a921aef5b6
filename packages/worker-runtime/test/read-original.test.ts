import type { ObjectStore } from '@annot/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure, readOriginal } from '../src/index.ts';
import { type TestBackend, testBackends, uploadOriginal } from './support/index.ts';

/** A real store that records which methods ran, optionally changing the object right after `head`. */
function watched(store: ObjectStore, afterHead?: (key: string) => Promise<void>) {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls.push(String(property));
        const result = await value.apply(target, args);
        if (property === 'head' && afterHead) await afterHead(args[0] as string);
        return result;
      };
    },
  });
  return { store: proxy, calls };
}

const bytes = new Uint8Array(Array.from({ length: 2048 }, (_, i) => i % 251));

for (const setup of await testBackends('worker-runtime')) {
  describe.runIf(setup.available)(`readOriginal on ${setup.name}`, () => {
    let backend: TestBackend;
    beforeAll(async () => {
      backend = await setup.open();
    });
    afterAll(() => backend?.close());

    it('reads the bytes', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'photo.png', 'image/png');
      const original = await readOriginal(backend.storage.originals, key, 4096);
      expect(Buffer.from(original!).equals(bytes)).toBe(true);
    });

    it('resolves null for an original that is gone', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'gone.png', 'image/png');
      await backend.storage.originals.delete(key);
      expect(await readOriginal(backend.storage.originals, key, 4096)).toBeNull();
    });

    it('refuses an original over the limit from its size, without reading it', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'big.png', 'image/png');
      const { store, calls } = watched(backend.storage.originals);
      const refused = readOriginal(store, key, 2047);
      await expect(refused).rejects.toBeInstanceOf(PermanentFailure);
      await expect(refused).rejects.toMatchObject({
        reason: 'The file is over the limit of 2 KiB for one image',
      });
      expect(calls).toEqual(['head']);
    });

    it('resolves null when the original is deleted between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'raced.png', 'image/png');
      const { store, calls } = watched(backend.storage.originals, (k) => backend.storage.originals.delete(k));
      expect(await readOriginal(store, key, 4096)).toBeNull();
      expect(calls).toEqual(['head', 'getBytes']);
    });

    it('refuses an original that grew past the limit between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes.subarray(0, 100), 'grown.png', 'image/png');
      const { store } = watched(backend.storage.originals, async (k) => {
        await backend.storage.originals.put(k, bytes, { contentType: 'image/png' });
      });
      const error = await readOriginal(store, key, 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentFailure);
      expect((error as PermanentFailure).reason).toBe(
        'The file is over the limit of 1000 bytes for one image',
      );
      expect((error as PermanentFailure).cause).toMatchObject({ name: 'ObjectTooLargeError' });
    });
  });
}
