import { filenameFromKey, thumbnailKeyFor } from '@annot/object-keys';
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

    it('creates the row when the failure is the first thing recorded', async () => {
      const key = newKey('broken.jpg');
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'not an image' });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        filename: filenameFromKey(key),
        annotationStatus: 'failed',
        annotationError: 'not an image',
        thumbnailStatus: 'pending',
      });
    });

    it('never turns a completed stage into a failed one', async () => {
      const key = newKey();
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'Done.',
        annotator: 'local',
        model: 'v1',
      });
      await ctx.repo.markFailed({
        originalKey: key,
        stage: 'annotation',
        reason: 'a late duplicate delivery failed',
      });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        annotationError: null,
        annotation: 'Done.',
      });
    });

    it('a later success replaces the failure and clears its reason', async () => {
      const key = newKey();
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'timed out' });
      await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'completed',
        thumbnailError: null,
      });
    });

    it('a second failure replaces the first reason', async () => {
      const key = newKey();
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'first' });
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'second' });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'failed',
        thumbnailError: 'second',
      });
    });

    it('stores at most 1000 characters of the reason, counting astral characters as one', async () => {
      const key = newKey();
      const reason = `${'😀'.repeat(999)}ab${'c'.repeat(500)}`;
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason });
      const row = await ctx.repo.getByOriginalKey(key);
      expect(row?.annotationError).toBe(`${'😀'.repeat(999)}a`);
    });
  });
}
