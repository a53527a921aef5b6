import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import { type Context, newKey, pending } from '../helpers.ts';

export function readContract(ctx: Context): void {
  describe('reads', () => {
    it('getById and getByOriginalKey return null for rows that do not exist', async () => {
      expect(await ctx.repo.getById(2_000_000_000)).toBeNull();
      expect(await ctx.repo.getById(-1)).toBeNull();
      expect(await ctx.repo.getByOriginalKey(newKey())).toBeNull();
    });

    it('statuses of no ids is an empty list', async () => {
      expect(await ctx.repo.statuses([])).toEqual([]);
    });

    it('statuses returns each known id once, in the order asked, and leaves out unknown ids', async () => {
      ctx.clock.ms = Date.UTC(2025, 5, 1, 12, 0, 0, 1);
      const a = await ctx.repo.createPending(pending(newKey()));
      const bKey = newKey();
      const b = await ctx.repo.createPending(pending(bKey));
      await ctx.repo.recordThumbnail({ originalKey: bKey, thumbnailKey: thumbnailKeyFor(bKey) });
      await ctx.repo.markFailed({ originalKey: bKey, stage: 'annotation', reason: 'quota' });
      // More ids than one IN (...) statement takes, mostly unknown.
      const unknown = Array.from({ length: 300 }, (_, i) => 1_000_000_000 + i);
      const result = await ctx.repo.statuses([b.id, ...unknown, a.id, b.id]);
      expect(result).toEqual([
        {
          id: b.id,
          thumbnailStatus: 'completed',
          annotationStatus: 'failed',
          thumbnailError: null,
          annotationError: 'quota',
          thumbnailKey: thumbnailKeyFor(bKey),
          annotation: null,
          tags: [],
          textInImage: null,
          safety: null,
          updatedAt: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 1)),
        },
        {
          id: a.id,
          thumbnailStatus: 'pending',
          annotationStatus: 'pending',
          thumbnailError: null,
          annotationError: null,
          thumbnailKey: null,
          annotation: null,
          tags: [],
          textInImage: null,
          safety: null,
          updatedAt: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 1)),
        },
      ]);
    });

    it('ping answers', async () => {
      await expect(ctx.repo.ping()).resolves.toBeUndefined();
    });
  });
}
