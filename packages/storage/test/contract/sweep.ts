import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractHarness, freshKey, type HarnessFactory } from './harness.ts';

/** What the reconciliation sweep asks of a store. */
export function sweepContract(name: string, factory: HarnessFactory): void {
  describe(`${name}: what the sweep needs`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterAll(() => h?.close());

    it('clears writes left unfinished before a time, and only those', async () => {
      await h.abandonWrite(freshKey('crashed-1.bin'));
      await h.abandonWrite(freshKey('crashed-2.bin'));
      expect((await h.leftovers()).length).toBe(2);

      // Started after the cut-off: a write that may still be in progress is left alone.
      expect(await h.store.clearUnfinishedWrites(new Date(Date.now() - 60_000))).toBe(0);
      expect((await h.leftovers()).length).toBe(2);

      expect(await h.store.clearUnfinishedWrites(new Date(Date.now() + 1000))).toBe(2);
      expect(await h.leftovers()).toEqual([]);
      // Twice, or from two processes at once: nothing left to do, and no error.
      const again = await Promise.all([
        h.store.clearUnfinishedWrites(new Date(Date.now() + 1000)),
        h.store.clearUnfinishedWrites(new Date(Date.now() + 1000)),
      ]);
      expect(again).toEqual([0, 0]);
    });

    it("raises an object's event again without changing it, where the adapter has events", async () => {
      const key = freshKey('photo.jpg');
      const bytes = new Uint8Array([1, 2, 3, 4, 5]);
      await h.store.put(key, bytes, { contentType: 'image/jpeg' });

      expect(await h.store.renotify(key)).toBe(h.renotifies);
      expect(await h.store.head(key)).toMatchObject({ size: 5, contentType: 'image/jpeg' });
      expect(Buffer.from(await h.store.getBytes(key)).equals(bytes)).toBe(true);
      expect(await h.store.renotify(freshKey('missing.jpg'))).toBe(false);
    });
  });
}
