import { describe, expect, it } from 'vitest';
import { type Context, newKey, pending } from '../helpers.ts';

/** What the reconciliation sweep asks of the repository. Rows are dated 1985-1990 so no other test's rows qualify. */
export function sweepContract(ctx: Context): void {
  describe('the sweep', () => {
    const day = (d: number, hour = 0) => Date.UTC(1990, 0, d, hour);

    it('finds uploads whose original never arrived, oldest first, and removes them only while still stale', async () => {
      ctx.clock.ms = day(1);
      const lost = newKey('lost.jpg');
      await ctx.repo.createPending({ ...pending(lost), byteSize: null });
      ctx.clock.ms = day(1, 1);
      const arrived = newKey('arrived.jpg');
      await ctx.repo.createPending({ ...pending(arrived), byteSize: null });
      await ctx.repo.recordOriginalSize(arrived, 10);
      ctx.clock.ms = day(1, 2);
      const late = newKey('late.jpg');
      await ctx.repo.createPending({ ...pending(late), byteSize: null });
      ctx.clock.ms = day(3);
      const recent = newKey('recent.jpg');
      await ctx.repo.createPending({ ...pending(recent), byteSize: null });

      const stale = await ctx.repo.staleUploads(new Date(day(2)), 10);
      expect(stale.map((r) => r.originalKey)).toEqual([lost, late]);
      expect(await ctx.repo.staleUploads(new Date(day(2)), 1)).toHaveLength(1);

      // The late upload finishes before the sweep gets to it: its row stays.
      await ctx.repo.recordOriginalSize(late, 99);
      expect(await ctx.repo.deleteStaleUpload(late, new Date(day(2)))).toBe(false);
      // Two sweeps at once: one removes the row.
      const results = await Promise.all([
        ctx.repo.deleteStaleUpload(lost, new Date(day(2))),
        ctx.repo.deleteStaleUpload(lost, new Date(day(2))),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect(await ctx.repo.getByOriginalKey(lost)).toBeNull();
      expect(await ctx.repo.getByOriginalKey(late)).not.toBeNull();
      // Not older than the cut-off: never removed.
      expect(await ctx.repo.deleteStaleUpload(recent, new Date(day(2)))).toBe(false);
      expect(await ctx.repo.staleUploads(new Date(day(2)), 10)).toEqual([]);
    });

    it('finds stored images a stage never finished, and waits its turn after each try', async () => {
      // 1985, before the rows of the test above.
      const day = (d: number, hour = 0) => Date.UTC(1985, 0, d, hour);
      ctx.clock.ms = day(5);
      const stalled = newKey('stalled.jpg');
      await ctx.repo.createPending({ ...pending(stalled), byteSize: 5 });
      const halfDone = newKey('half.jpg');
      await ctx.repo.createPending({ ...pending(halfDone), byteSize: 5 });
      const done = newKey('done.jpg');
      await ctx.repo.createPending({ ...pending(done), byteSize: 5 });
      ctx.clock.ms = day(5, 1);
      await ctx.repo.recordThumbnail({ originalKey: halfDone, thumbnailKey: 'thumbnails/h/half.jpg' });
      await ctx.repo.recordThumbnail({ originalKey: done, thumbnailKey: 'thumbnails/d/done.jpg' });
      await ctx.repo.recordAnnotation({ originalKey: done, annotation: 'x', annotator: 'local', model: 'm' });
      const noOriginal = newKey('uploading.jpg');
      await ctx.repo.createPending({ ...pending(noOriginal), byteSize: null });
      // Annotated later still, its thumbnail never made: stalled on the other stage, and newer.
      const thumbLate = newKey('thumb-late.jpg');
      ctx.clock.ms = day(5);
      await ctx.repo.createPending({ ...pending(thumbLate), byteSize: 5 });
      ctx.clock.ms = day(5, 2);
      await ctx.repo.recordAnnotation({
        originalKey: thumbLate,
        annotation: 'y',
        annotator: 'local',
        model: 'm',
      });

      // Both stages' rows, oldest first (by updated_at), at most `limit` of them.
      const before = new Date(day(6));
      expect((await ctx.repo.stalledImages(before, 10)).map((r) => r.originalKey)).toEqual([
        stalled,
        halfDone,
        thumbLate,
      ]);
      expect((await ctx.repo.stalledImages(before, 2)).map((r) => r.originalKey)).toEqual([
        stalled,
        halfDone,
      ]);

      ctx.clock.ms = day(7);
      await ctx.repo.markRenotified(stalled);
      expect((await ctx.repo.stalledImages(before, 10)).map((r) => r.originalKey)).toEqual([
        halfDone,
        thumbLate,
      ]);
      expect((await ctx.repo.getByOriginalKey(stalled))?.updatedAt).toEqual(new Date(day(7)));
      await expect(ctx.repo.stalledImages(before, 0)).rejects.toThrow(RangeError);
    });

    it('says which original keys have a row, for any number of keys up to a page', async () => {
      const present = [newKey('one.jpg'), newKey('two.jpg'), newKey('three.jpg')];
      for (const key of present) await ctx.repo.createPending(pending(key));
      const absent = [newKey('gone.jpg'), newKey('never.jpg')];
      const found = await ctx.repo.existingOriginalKeys([absent[0]!, ...present, absent[1]!]);
      expect(found).toEqual(new Set(present));
      expect(await ctx.repo.existingOriginalKeys([])).toEqual(new Set());
      expect(await ctx.repo.existingOriginalKeys([present[0]!, present[0]!])).toEqual(new Set([present[0]]));
    });
  });
}
