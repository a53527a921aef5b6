import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure, readOriginal } from '../src/index.ts';
import { type TestBackend, testBackends, uploadOriginal, watchedStore } from './support/index.ts';

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
      const { store, calls } = watchedStore(backend.storage.originals);
      const refused = readOriginal(store, key, 2047);
      await expect(refused).rejects.toBeInstanceOf(PermanentFailure);
      await expect(refused).rejects.toMatchObject({
        reason: 'The file is over the limit of 2 KiB for one image',
      });
      expect(calls).toEqual(['head']);
    });

    it('resolves null when the original is deleted between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'raced.png', 'image/png');
      const { store, calls } = watchedStore(backend.storage.originals, {
        head: (k) => backend.storage.originals.delete(k),
      });
      expect(await readOriginal(store, key, 4096)).toBeNull();
      expect(calls).toEqual(['head', 'getBytes']);
    });

    it('refuses an original that grew past the limit between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes.subarray(0, 100), 'grown.png', 'image/png');
      const { store } = watchedStore(backend.storage.originals, {
        head: async (k) => {
          await backend.storage.originals.put(k, bytes, { contentType: 'image/png' });
        },
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
