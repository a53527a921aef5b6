import type { ObjectStore } from '@annot/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalGone, readOriginal } from '../src/index.ts';
import { recordingLogger, type TestBackend, testBackends, uploadOriginal } from './support/index.ts';

class TooLarge extends Error {
  readonly size: number | undefined;
  constructor(size: number | undefined, maxBytes: number, cause?: unknown) {
    super(`${size ?? '?'} > ${maxBytes}`, { cause });
    this.size = size;
  }
}
const tooLarge = (size: number | undefined, maxBytes: number, cause?: unknown) =>
  new TooLarge(size, maxBytes, cause);

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

    it('reads the bytes, their size and the stored content type', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'photo.png', 'image/png');
      const original = await readOriginal(backend.storage.originals, key, { maxBytes: 4096, tooLarge });
      expect(original).toMatchObject({ size: 2048, contentType: 'image/png' });
      expect(Buffer.from(original!.bytes).equals(bytes)).toBe(true);
    });

    it('resolves null for an original that is gone', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'gone.png', 'image/png');
      await backend.storage.originals.delete(key);
      expect(await readOriginal(backend.storage.originals, key, { maxBytes: 4096, tooLarge })).toBeNull();
    });

    it('refuses an original over the limit from its size, without reading it', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'big.png', 'image/png');
      const { store, calls } = watched(backend.storage.originals);
      const refused = readOriginal(store, key, { maxBytes: 2047, tooLarge });
      await expect(refused).rejects.toMatchObject({ size: 2048, message: '2048 > 2047' });
      expect(calls).toEqual(['head']);
    });

    it('resolves null when the original is deleted between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes, 'raced.png', 'image/png');
      const { store, calls } = watched(backend.storage.originals, (k) => backend.storage.originals.delete(k));
      expect(await readOriginal(store, key, { maxBytes: 4096, tooLarge })).toBeNull();
      expect(calls).toEqual(['head', 'getBytes']);
    });

    it('refuses an original that grew past the limit between head and read', async () => {
      const { key } = await uploadOriginal(backend, bytes.subarray(0, 100), 'grown.png', 'image/png');
      const { store } = watched(backend.storage.originals, async (k) => {
        await backend.storage.originals.put(k, bytes, { contentType: 'image/png' });
      });
      const error = await readOriginal(store, key, { maxBytes: 1000, tooLarge }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TooLarge);
      expect((error as TooLarge).size).toBeUndefined();
      expect((error as TooLarge).cause).toMatchObject({ name: 'ObjectTooLargeError' });
    });
  });
}

describe('originalGone', () => {
  const log = { key: 'uploads/a/b.jpg', requestId: 'req-1', eventId: 'ev-1' };
  class Refused extends Error {}
  const permanent = (reason: string) => new Refused(reason);

  it('skips the event of a withdrawn upload (no row), with a warning carrying the log context', () => {
    const logger = recordingLogger();
    expect(originalGone(null, { logger, log }, permanent)).toEqual({
      status: 'skipped',
      key: 'uploads/a/b.jpg',
      reason: 'original not found',
    });
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Original is gone and has no row; upload was withdrawn, skipped',
        attributes: log,
      },
    ]);
  });

  it("throws the worker's permanent error when the image has a row, so it is recorded as failed", () => {
    const logger = recordingLogger();
    const gone = () => originalGone({ originalKey: log.key }, { logger, log }, permanent);
    expect(gone).toThrow(Refused);
    expect(gone).toThrow('The original file no longer exists');
    expect(logger.entries).toEqual([]);
  });
});
