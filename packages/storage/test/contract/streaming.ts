import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endlessStream, failingStream, generatedStream, sha256OfStream } from '../helpers/streams.ts';
import { type ContractHarness, freshKey, type HarnessFactory } from './harness.ts';

const MiB = 1024 * 1024;

/** Large streams, and writes that fail or are aborted half-way: nothing may be left behind. */
export function streamingContract(name: string, factory: HarnessFactory): void {
  describe(`${name}: streaming and failed writes`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('streams 20 MB in and out unchanged', { timeout: 30_000 }, async () => {
      const key = freshKey('large.bin');
      const source = generatedStream(20 * MiB);
      const put = await h.store.put(key, source.stream, { contentType: 'application/octet-stream' });
      expect(put.size).toBe(20 * MiB);
      if (h.usedMultipart) expect(h.usedMultipart(key)).toBe(true);
      const head = await h.store.head(key);
      expect(head).toMatchObject({ size: 20 * MiB, etag: put.etag });
      const { body } = await h.store.get(key);
      expect(await sha256OfStream(body)).toBe(source.sha256());
      expect(await h.leftovers()).toEqual([]);
    });

    it('uses a single request for a stream smaller than one part', async () => {
      const key = freshKey('small.bin');
      await h.store.put(key, generatedStream(100 * 1024).stream);
      if (h.usedMultipart) expect(h.usedMultipart(key)).toBe(false);
      expect((await h.store.head(key))?.size).toBe(100 * 1024);
    });

    for (const [label, size] of [
      ['early (within the first part)', 100 * 1024],
      ['after a whole part was sent', 6 * MiB],
    ] as const) {
      it(`leaves nothing when the body stream fails ${label}`, { timeout: 20_000 }, async () => {
        const key = freshKey();
        await expect(h.store.put(key, failingStream(size))).rejects.toThrow('client went away');
        expect(await h.store.head(key)).toBeNull();
        expect(await h.leftovers()).toEqual([]);
      });
    }

    // The upload path decides at the body's end whether the object may be stored (a file of bytes
    // already in the library fails there): that end must run before the store commits anything.
    for (const [label, size] of [
      ['a single-request put', 100 * 1024],
      ['a multipart put', 6 * MiB],
    ] as const) {
      it(`runs the body's end before it commits ${label}; failing there leaves nothing`, {
        timeout: 20_000,
      }, async () => {
        const key = freshKey();
        let visibleAtEnd: unknown = 'never asked';
        async function* body() {
          for (let sent = 0; sent < size; sent += 64 * 1024)
            yield Buffer.alloc(Math.min(64 * 1024, size - sent), 7);
          visibleAtEnd = await h.store.head(key);
          throw new Error('refused at the end');
        }
        await expect(h.store.put(key, Readable.from(body()))).rejects.toThrow('refused at the end');
        expect(visibleAtEnd).toBeNull();
        expect(await h.store.head(key)).toBeNull();
        expect(await h.leftovers()).toEqual([]);
      });
    }

    it('leaves nothing when the signal aborts mid-stream', { timeout: 20_000 }, async () => {
      const key = freshKey();
      const controller = new AbortController();
      const body = endlessStream((total) => {
        if (total >= 6 * MiB && !controller.signal.aborted) controller.abort();
      });
      const error = await h.store.put(key, body, { signal: controller.signal }).catch((e: unknown) => e);
      expect((error as Error).name).toBe('AbortError');
      expect(await h.store.head(key)).toBeNull();
      expect(await h.leftovers()).toEqual([]);
    });

    it('writes nothing when the signal is already aborted', async () => {
      const key = freshKey();
      const signal = AbortSignal.abort();
      await expect(h.store.put(key, Buffer.from('x'), { signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      await expect(h.store.put(key, generatedStream(10).stream, { signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(await h.store.head(key)).toBeNull();
    });

    it('keeps the previous object when a replacing put fails', async () => {
      const key = freshKey();
      await h.store.put(key, Buffer.from('the good version'));
      await expect(h.store.put(key, failingStream(50 * 1024))).rejects.toThrow('client went away');
      expect(Buffer.from(await h.store.getBytes(key)).toString()).toBe('the good version');
      expect(await h.leftovers()).toEqual([]);
    });
  });
}
