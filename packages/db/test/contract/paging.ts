import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

// Later than anything other tests write, so these rows are the newest in the table.
const FUTURE = Date.UTC(2099, 0, 1);

export function pagingContract(ctx: Context): void {
  describe('listPage', () => {
    it('walks every row newest first, breaking ties in upload time by id, without gaps or repeats', async () => {
      const ids: number[] = [];
      for (const ms of [FUTURE, FUTURE, FUTURE + 1, FUTURE, FUTURE + 1]) {
        ctx.clock.ms = ms;
        ids.push((await ctx.repo.createPending(pending(newKey()))).id);
      }
      const [a, b, c, d, e] = ids as [number, number, number, number, number];
      // FUTURE + 1: c < e; FUTURE: a < b < d. Newest first, ids descending within a millisecond.
      const expected = [e, c, d, b, a];

      const seen: number[] = [];
      const pages: number[][] = [];
      let cursor: string | null = null;
      do {
        // Small pages first, so a cursor lands between rows of the same millisecond.
        const page = await ctx.repo.listPage({ limit: pages.length < 3 ? 2 : 50, cursor });
        pages.push(page.images.map((image) => image.id));
        seen.push(...page.images.map((image) => image.id));
        for (let i = 1; i < page.images.length; i++) {
          const [prev, next] = [page.images[i - 1]!, page.images[i]!];
          const order = prev.uploadedAt.getTime() - next.uploadedAt.getTime() || prev.id - next.id;
          expect(order).toBeGreaterThan(0);
        }
        cursor = page.nextCursor;
      } while (cursor !== null);

      expect(pages.slice(0, 2)).toEqual([expected.slice(0, 2), expected.slice(2, 4)]);
      expect(seen.slice(0, 5)).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
      // Every row in the table was visited: the last page is the oldest row.
      const oldest = (await ctx.repo.listPage({ limit: 1000 })).images;
      expect(seen).toEqual(oldest.map((image) => image.id));
    });

    it('storedOnly leaves out rows whose original is still arriving, on every page', async () => {
      ctx.clock.ms = FUTURE + 10;
      const uploading = await ctx.repo.createPending({ ...pending(newKey()), byteSize: null });
      ctx.clock.ms = FUTURE + 11;
      const stored = await ctx.repo.createPending({ ...pending(newKey()), byteSize: null });
      await ctx.repo.recordOriginalSize(stored.originalKey, 1234);
      ctx.clock.ms = FUTURE + 12;
      const later = await ctx.repo.createPending({ ...pending(newKey()), byteSize: null });

      const first = await ctx.repo.listPage({ limit: 1, storedOnly: true });
      expect(first.images.map((image) => image.id)).toEqual([stored.id]);
      const rest = await ctx.repo.listPage({ limit: 1000, cursor: first.nextCursor, storedOnly: true });
      expect(rest.images.map((image) => image.id)).not.toContain(uploading.id);
      expect(rest.images.every((image) => image.byteSize !== null)).toBe(true);
      // Without it, every row: the uploads in progress too.
      const all = (await ctx.repo.listPage({ limit: 3 })).images.map((image) => image.id);
      expect(all).toEqual([later.id, stored.id, uploading.id]);
      for (const row of [uploading, later]) await ctx.repo.deleteByOriginalKey(row.originalKey);
    });

    it('gives no next cursor when the page holds the last row', async () => {
      // A row of its own, so the table is never empty, whichever tests ran before.
      await ctx.repo.createPending(pending(newKey()));
      const all = await ctx.repo.listPage({ limit: 1000 });
      const page = await ctx.repo.listPage({ limit: all.images.length });
      expect(page.nextCursor).toBeNull();
      expect(page.images).toHaveLength(all.images.length);
    });

    it('a cursor continues right after the last row of its page', async () => {
      const rows = [];
      for (let i = 0; i < 4; i++) {
        ctx.clock.ms = FUTURE + 30 + i;
        rows.push(await ctx.repo.createPending(pending(newKey())));
      }
      const [a, b, c, d] = rows.map((row) => row.id) as [number, number, number, number];
      const first = await ctx.repo.listPage({ limit: 3 });
      expect(first.images.map((image) => image.id)).toEqual([d, c, b]);
      const second = await ctx.repo.listPage({ limit: 3, cursor: first.nextCursor });
      expect(second.images[0]?.id).toBe(a);
      for (const row of rows) await ctx.repo.deleteByOriginalKey(row.originalKey);
    });

    it.each([
      'not a cursor!',
      'MTIz', // "123": no id
      Buffer.from('1.2.3').toString('base64url'),
      Buffer.from('01.2').toString('base64url'), // not canonical
      Buffer.from('-1.2').toString('base64url'),
      Buffer.from('99999999999999999.1').toString('base64url'),
    ])('refuses the malformed cursor %j', async (cursor) => {
      await expect(ctx.repo.listPage({ limit: 10, cursor })).rejects.toThrow(InvalidCursorError);
    });

    it.each([0, -1, 1.5, 1001, Number.NaN])('refuses the limit %s', async (limit) => {
      await expect(ctx.repo.listPage({ limit })).rejects.toThrow(RangeError);
    });
  });
}
