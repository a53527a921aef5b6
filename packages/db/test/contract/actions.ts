import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import { InvalidImageInputError } from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

/** The web tier's actions on one image: who uploaded it, deleting it, retrying its stages. */
export function actionContract(ctx: Context): void {
  describe('uploader, delete and retry', () => {
    const failedImage = async () => {
      const key = newKey();
      const row = await ctx.repo.createPending({ ...pending(key), uploader: 'browser-A_1' });
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'Broken file.' });
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'Model said no.' });
      return { key, row };
    };

    it('records the uploader, keeps the first one, and reads it back', async () => {
      const key = newKey();
      const row = await ctx.repo.createPending({ ...pending(key), uploader: 'abcDEF-123_x' });
      expect(row.uploader).toBe('abcDEF-123_x');
      await ctx.repo.createPending({ ...pending(key), uploader: 'someone-else' });
      expect((await ctx.repo.getById(row.id))?.uploader).toBe('abcDEF-123_x');
      expect((await ctx.repo.createPending(pending(newKey()))).uploader).toBeNull();
    });

    it('refuses an uploader id that is not short ASCII', async () => {
      for (const uploader of ['', 'x'.repeat(65), 'spaces here', 'ü']) {
        await expect(ctx.repo.createPending({ ...pending(newKey()), uploader })).rejects.toThrow(
          InvalidImageInputError,
        );
      }
    });

    it('deleteById resolves the deleted row once, then null; workers cannot bring it back', async () => {
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      const deleted = await ctx.repo.deleteById(row.id);
      expect(deleted).toEqual(row);
      expect(await ctx.repo.deleteById(row.id)).toBeNull();
      expect(await ctx.repo.getById(row.id)).toBeNull();
      expect(await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) })).toBe(
        false,
      );
      expect(await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'x' })).toBe(false);
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
      expect(await ctx.repo.deleteById(0)).toBeNull();
      expect(await ctx.repo.deleteById(987_654_321)).toBeNull();
    });

    it('concurrent deletes of one row: exactly one gets it', async () => {
      const row = await ctx.repo.createPending(pending(newKey()));
      const results = await Promise.all(Array.from({ length: 4 }, () => ctx.repo.deleteById(row.id)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('undoRetry gives a stage back its status and reason, unless a worker has claimed it since', async () => {
      const { key } = await failedImage();
      const before = (await ctx.repo.getByOriginalKey(key))!;
      expect((await ctx.repo.retryStages(before.id, ['thumbnail', 'annotation'])).outcome).toBe('retried');
      // A worker took the annotation meanwhile: that stage is its own.
      expect(
        await ctx.repo.claimStage({ originalKey: key, stage: 'annotation', leaseMs: 60_000 }),
      ).not.toBeNull();
      expect(await ctx.repo.undoRetry(before, 'thumbnail')).toBe(true);
      expect(await ctx.repo.undoRetry(before, 'annotation')).toBe(false);
      expect(await ctx.repo.getById(before.id)).toMatchObject({
        thumbnailStatus: 'failed',
        thumbnailError: 'Broken file.',
        annotationStatus: 'pending',
        annotationError: null,
      });
      // Undone once: a second undo finds nothing pending.
      expect(await ctx.repo.undoRetry(before, 'thumbnail')).toBe(false);
    });

    it('releaseContent forgets the bytes of an image: the same bytes are then claimed anew', async () => {
      const sha = Buffer.alloc(32, 7);
      const first = await ctx.repo.createPending(pending(newKey()));
      expect(await ctx.repo.claimContent(first.originalKey, sha)).toBeNull();
      const second = await ctx.repo.createPending(pending(newKey()));
      expect((await ctx.repo.claimContent(second.originalKey, sha))?.id).toBe(first.id);
      await ctx.repo.releaseContent(first.id);
      expect(await ctx.repo.claimContent(second.originalKey, sha)).toBeNull();
      await ctx.repo.releaseContent(0);
    });

    it('retryStages sends failed stages back to pending, clearing error and lease', async () => {
      const { key, row } = await failedImage();
      await ctx.repo.claimStage({ originalKey: key, stage: 'thumbnail', leaseMs: 60_000 });
      ctx.clock.ms = row.updatedAt.getTime() + 5000;
      const outcome = await ctx.repo.retryStages(row.id, ['thumbnail']);
      expect(outcome.outcome).toBe('retried');
      if (outcome.outcome !== 'retried') return;
      expect(outcome.record).toMatchObject({
        id: row.id,
        thumbnailStatus: 'pending',
        thumbnailError: null,
        annotationStatus: 'failed',
        annotationError: 'Model said no.',
        uploader: 'browser-A_1',
      });
      expect(outcome.record.updatedAt.getTime()).toBe(row.updatedAt.getTime() + 5000);
      // The lease was cleared: a worker may claim the stage at once.
      expect(
        await ctx.repo.claimStage({ originalKey: key, stage: 'thumbnail', leaseMs: 1000 }),
      ).not.toBeNull();
    });

    it('retryStages of both stages; a completed stage may be retried too', async () => {
      const { key, row } = await failedImage();
      await ctx.repo.retryStages(row.id, ['annotation']);
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A cat.',
        annotator: 'local',
        model: 'v1',
      });
      const outcome = await ctx.repo.retryStages(row.id, ['thumbnail', 'annotation']);
      expect(outcome).toMatchObject({
        outcome: 'retried',
        record: { thumbnailStatus: 'pending', annotationStatus: 'pending', annotationError: null },
      });
    });

    it('retryStages is busy, changing nothing, while a requested stage is pending', async () => {
      const { key, row } = await failedImage();
      await ctx.repo.retryStages(row.id, ['annotation']);
      const before = await ctx.repo.getById(row.id);
      expect(await ctx.repo.retryStages(row.id, ['annotation'])).toEqual({
        outcome: 'busy',
        stage: 'annotation',
      });
      expect(await ctx.repo.retryStages(row.id, ['thumbnail', 'annotation'])).toEqual({
        outcome: 'busy',
        stage: 'annotation',
      });
      expect(await ctx.repo.getById(row.id)).toEqual(before);
      // The other stage is free.
      expect((await ctx.repo.retryStages(row.id, ['thumbnail'])).outcome).toBe('retried');
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailStatus: 'pending',
        annotationStatus: 'pending',
      });
    });

    it('retryStages names the requested stage that is pending, whatever order the stages were asked in', async () => {
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      // Both pending: the stages are taken in one order (annotation, thumbnail).
      for (const stages of [
        ['thumbnail', 'annotation'],
        ['annotation', 'thumbnail'],
      ] as const) {
        expect(await ctx.repo.retryStages(row.id, stages)).toEqual({ outcome: 'busy', stage: 'annotation' });
      }
      // The annotation failed, the thumbnail is still pending: the thumbnail is the busy one.
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'quota' });
      for (const stages of [
        ['thumbnail', 'annotation'],
        ['annotation', 'thumbnail'],
      ] as const) {
        expect(await ctx.repo.retryStages(row.id, stages)).toEqual({ outcome: 'busy', stage: 'thumbnail' });
      }
    });

    it('undoRetry gives each stage back its own status and reason', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'Broken file.' });
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A fox.',
        annotator: 'local',
        model: 'v1',
      });
      const before = (await ctx.repo.getByOriginalKey(key))!;
      expect((await ctx.repo.retryStages(before.id, ['thumbnail', 'annotation'])).outcome).toBe('retried');
      expect(await ctx.repo.undoRetry(before, 'annotation')).toBe(true);
      expect(await ctx.repo.getById(before.id)).toMatchObject({
        thumbnailStatus: 'pending',
        thumbnailError: null,
        annotationStatus: 'completed',
        annotationError: null,
      });
      expect(await ctx.repo.undoRetry(before, 'thumbnail')).toBe(true);
      expect(await ctx.repo.getById(before.id)).toMatchObject({
        thumbnailStatus: 'failed',
        thumbnailError: 'Broken file.',
        annotationStatus: 'completed',
        annotationError: null,
      });
    });

    it('concurrent retries of one stage: exactly one is retried, the others are busy', async () => {
      const { row } = await failedImage();
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () => ctx.repo.retryStages(row.id, ['thumbnail'])),
      );
      expect(outcomes.filter((o) => o.outcome === 'retried')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'busy')).toHaveLength(3);
    });

    it('retryStages finds nothing for an unknown id, a deleted row, or an upload still arriving', async () => {
      expect(await ctx.repo.retryStages(987_654_321, ['thumbnail'])).toEqual({ outcome: 'missing' });
      expect(await ctx.repo.retryStages(0, ['thumbnail'])).toEqual({ outcome: 'missing' });
      const arriving = await ctx.repo.createPending({ ...pending(newKey()), byteSize: null });
      await ctx.repo.markFailed({ originalKey: arriving.originalKey, stage: 'thumbnail', reason: 'x' });
      expect(await ctx.repo.retryStages(arriving.id, ['thumbnail'])).toEqual({ outcome: 'missing' });
      const { row } = await failedImage();
      await ctx.repo.deleteById(row.id);
      expect(await ctx.repo.retryStages(row.id, ['thumbnail'])).toEqual({ outcome: 'missing' });
    });

    it('retryStages refuses an unknown stage or none', async () => {
      const { row } = await failedImage();
      await expect(ctx.repo.retryStages(row.id, [])).rejects.toThrow(InvalidImageInputError);
      await expect(ctx.repo.retryStages(row.id, ['original' as 'thumbnail'])).rejects.toThrow(
        InvalidImageInputError,
      );
    });
  });
}
