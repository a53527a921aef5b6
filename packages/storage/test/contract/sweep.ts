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

    it('lists a prefix in key order, page by page, leaving unfinished writes out', async () => {
      const prefix = `uploads/${freshKey().split('/')[1]}-list/`;
      const keys = ['a.jpg', 'b/c.jpg', 'd.jpg'].map((name) => `${prefix}${name}`);
      for (const key of [...keys].reverse()) await h.store.put(key, new Uint8Array([1]));
      await h.abandonWrite(`${prefix}e.jpg`);
      await h.store.put(`${prefix.slice(0, -1)}-other/z.jpg`, new Uint8Array([1]));

      const first = await h.store.listPage({ prefix, limit: 2 });
      expect(first.objects.map((o) => o.key)).toEqual(keys.slice(0, 2));
      expect(first.next).toBe(keys[1]);
      const second = await h.store.listPage({ prefix, limit: 2, after: first.next! });
      expect(second).toEqual({ objects: [expect.objectContaining({ key: keys[2] })], next: null });
      expect(second.objects[0]!.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
      await h.store.clearUnfinishedWrites(new Date(Date.now() + 1000));
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
