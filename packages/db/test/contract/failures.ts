import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import { type Context, newKey, pending } from '../helpers.ts';

export function failureContract(ctx: Context): void {
  describe('markFailed', () => {
    it('marks a pending stage failed with its reason, leaving the other stage alone', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'corrupt JPEG header' });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'failed',
        thumbnailError: 'corrupt JPEG header',
        annotationStatus: 'pending',
        annotationError: null,
      });
    });

    it('writes nothing, and creates no row, when the row is gone (the upload was withdrawn)', async () => {
      const key = newKey('broken.jpg');
      expect(
        await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'not an image' }),
      ).toBe(false);
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();

      await ctx.repo.createPending(pending(key));
      await ctx.repo.deleteByOriginalKey(key);
      expect(
        await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'not an image' }),
      ).toBe(false);
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
    });

    it('never turns a completed stage into a failed one', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'Done.',
        annotator: 'local',
        model: 'v1',
      });
      // The row is there, so the call reports it found it, but the stage stays completed.
      expect(
        await ctx.repo.markFailed({
          originalKey: key,
          stage: 'annotation',
          reason: 'a late duplicate delivery failed',
        }),
      ).toBe(true);
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        annotationError: null,
        annotation: 'Done.',
      });
    });

    it('a later success replaces the failure and clears its reason', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'timed out' });
      await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'completed',
        thumbnailError: null,
      });
    });

    it('a second failure replaces the first reason', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'first' });
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'second' });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'failed',
        thumbnailError: 'second',
      });
    });

    it('stores "unknown error" for an empty reason', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: '' });
      expect((await ctx.repo.getByOriginalKey(key))?.thumbnailError).toBe('unknown error');
    });

    it('stores at most 1000 characters of the reason, counting astral characters as one', async () => {
      const key = newKey();
      const reason = `${'😀'.repeat(999)}ab${'c'.repeat(500)}`;
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason });
      const row = await ctx.repo.getByOriginalKey(key);
      expect(row?.annotationError).toBe(`${'😀'.repeat(999)}a`);
    });
  });
}
