import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidImageInputError } from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

/** The SHA-256 of some distinct bytes. */
const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
let counter = 0;
const freshBytes = () => sha256(`bytes ${Date.now()} ${counter++} ${Math.random()}`);

export function contentContract(ctx: Context): void {
  describe('content hash (duplicates)', () => {
    it('the first claim of some bytes wins; the next upload of them is told the image holding them', async () => {
      const bytes = freshBytes();
      const first = newKey();
      const second = newKey();
      const winner = await ctx.repo.createPending({ ...pending(first), byteSize: null });
      await ctx.repo.createPending({ ...pending(second, 'copy.jpg'), byteSize: null });
      expect(await ctx.repo.claimContent(first, bytes)).toBeNull();
      // Claiming again for the same row is a no-op.
      expect(await ctx.repo.claimContent(first, bytes)).toBeNull();
      expect(await ctx.repo.claimContent(second, bytes)).toEqual(winner);
      // Other bytes are free.
      expect(await ctx.repo.claimContent(second, freshBytes())).toBeNull();
    });

    it('reports the holder as it is now, stored or still arriving', async () => {
      const bytes = freshBytes();
      const first = newKey();
      await ctx.repo.createPending({ ...pending(first), byteSize: null });
      expect(await ctx.repo.claimContent(first, bytes)).toBeNull();
      const second = newKey();
      await ctx.repo.createPending({ ...pending(second), byteSize: null });
      expect(await ctx.repo.claimContent(second, bytes)).toMatchObject({
        originalKey: first,
        byteSize: null,
      });
      await ctx.repo.recordOriginalSize(first, 4321);
      expect(await ctx.repo.claimContent(second, bytes)).toMatchObject({
        originalKey: first,
        byteSize: 4321,
      });
    });

    it('bytes whose image was deleted can be claimed again', async () => {
      const bytes = freshBytes();
      const first = newKey();
      await ctx.repo.createPending(pending(first));
      expect(await ctx.repo.claimContent(first, bytes)).toBeNull();
      await ctx.repo.deleteByOriginalKey(first);
      const again = newKey();
      await ctx.repo.createPending(pending(again));
      expect(await ctx.repo.claimContent(again, bytes)).toBeNull();
    });

    it('a claim for a row that is gone throws, and records nothing', async () => {
      const bytes = freshBytes();
      const gone = newKey();
      await expect(ctx.repo.claimContent(gone, bytes)).rejects.toThrow(/gone/);
      const other = newKey();
      await ctx.repo.createPending(pending(other));
      expect(await ctx.repo.claimContent(other, bytes)).toBeNull();
    });

    it('refuses a hash that is not 32 bytes', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await expect(ctx.repo.claimContent(key, new Uint8Array(31))).rejects.toThrow(InvalidImageInputError);
    });

    it('of many uploads of the same bytes claiming at once, exactly one wins, and the others are told the winner', async () => {
      const bytes = freshBytes();
      const keys = Array.from({ length: 8 }, (_, i) => newKey(`same ${i}.jpg`));
      await Promise.all(keys.map((key) => ctx.repo.createPending({ ...pending(key), byteSize: null })));
      const outcomes = await Promise.all(keys.map((key) => ctx.repo.claimContent(key, bytes)));
      const winners = keys.filter((_, i) => outcomes[i] === null);
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome !== null) expect(outcome.originalKey).toBe(winners[0]);
      }
    });
  });
}
