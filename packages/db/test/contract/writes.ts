import { filenameFromKey, thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import { InvalidImageInputError } from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

export function writeContract(ctx: Context): void {
  describe('writes', () => {
    it('createPending inserts a pending row with the metadata and returns it', async () => {
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      expect(row).toMatchObject({
        ...pending(key),
        thumbnailKey: null,
        annotation: null,
        annotationStatus: 'pending',
        thumbnailStatus: 'pending',
        annotationError: null,
        thumbnailError: null,
        annotator: null,
        annotationModel: null,
      });
      expect(row.id).toBeGreaterThan(0);
      expect(await ctx.repo.getById(row.id)).toEqual(row);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual(row);
    });

    it('keeps the time to the millisecond, in UTC', async () => {
      ctx.clock.ms = Date.UTC(2024, 1, 29, 23, 59, 58, 987);
      const row = await ctx.repo.createPending(pending(newKey()));
      expect(row.uploadedAt.toISOString()).toBe('2024-02-29T23:59:58.987Z');
      expect(row.updatedAt.toISOString()).toBe('2024-02-29T23:59:58.987Z');
    });

    it('the thumbnailer may come first: its row gets a filename from the key, then the web fills it in', async () => {
      const key = newKey('Sunset.PNG');
      await ctx.repo.recordThumbnail({
        originalKey: key,
        thumbnailKey: thumbnailKeyFor(key),
        width: 9,
        height: 9,
      });
      const early = await ctx.repo.getByOriginalKey(key);
      expect(early).toMatchObject({
        filename: filenameFromKey(key),
        thumbnailKey: thumbnailKeyFor(key),
        thumbnailStatus: 'completed',
        annotationStatus: 'pending',
        width: 9,
        contentType: null,
      });
      const row = await ctx.repo.createPending(pending(key, 'Sunset.PNG'));
      // The web's checked values win; the thumbnailer's result and status stay.
      expect(row).toMatchObject({
        id: early?.id,
        filename: 'Sunset.PNG',
        contentType: 'image/jpeg',
        width: 600,
        height: 450,
        thumbnailKey: thumbnailKeyFor(key),
        thumbnailStatus: 'completed',
        annotationStatus: 'pending',
      });
    });

    it('the annotator may come first, and the web row keeps its annotation', async () => {
      const key = newKey();
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A red kite.',
        annotator: 'gemini',
        model: 'm-1',
      });
      const row = await ctx.repo.createPending(pending(key));
      expect(row).toMatchObject({
        filename: pending(key).filename,
        annotation: 'A red kite.',
        annotator: 'gemini',
        annotationModel: 'm-1',
        annotationStatus: 'completed',
        thumbnailStatus: 'pending',
        thumbnailKey: null,
      });
    });

    it('recordThumbnail fills the original’s metadata only where the row has none', async () => {
      const key = newKey();
      await ctx.repo.createPending({ ...pending(key), byteSize: null, height: null });
      await ctx.repo.recordThumbnail({
        originalKey: key,
        thumbnailKey: thumbnailKeyFor(key),
        contentType: 'image/png',
        byteSize: 777,
        width: 1,
        height: 2,
      });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        contentType: 'image/jpeg',
        byteSize: 777,
        width: 600,
        height: 2,
      });
    });

    it('each worker writes only its own columns', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'blocked by the model' });
      await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: 'blocked by the model',
        annotation: null,
      });
      await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'late duplicate' });
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'Text',
        annotator: 'local',
        model: 'v1',
      });
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({
        thumbnailKey: thumbnailKeyFor(key),
        thumbnailStatus: 'completed',
        thumbnailError: null,
        annotationStatus: 'completed',
        annotationError: null,
        annotation: 'Text',
      });
    });

    it('the same write twice leaves one identical row', async () => {
      ctx.clock.ms = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
      const key = newKey();
      const thumbnail = { originalKey: key, thumbnailKey: thumbnailKeyFor(key), byteSize: 5 };
      const annotation = { originalKey: key, annotation: 'Twice.', annotator: 'local', model: 'v1' };
      await ctx.repo.recordThumbnail(thumbnail);
      await ctx.repo.recordAnnotation(annotation);
      const first = await ctx.repo.createPending(pending(key));
      await ctx.repo.recordThumbnail(thumbnail);
      await ctx.repo.recordAnnotation(annotation);
      const second = await ctx.repo.createPending(pending(key));
      expect(second).toEqual(first);
    });

    it('recordOriginalSize sets the size and updated_at of an existing row, and creates none', async () => {
      const key = newKey();
      ctx.clock.ms = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
      const row = await ctx.repo.createPending({ ...pending(key), byteSize: null });
      ctx.clock.ms += 1500;
      await ctx.repo.recordOriginalSize(key, 139_434);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual({
        ...row,
        byteSize: 139_434,
        updatedAt: new Date(ctx.clock.ms),
      });

      const withdrawn = newKey();
      await ctx.repo.recordOriginalSize(withdrawn, 1);
      expect(await ctx.repo.getByOriginalKey(withdrawn)).toBeNull();
      await expect(ctx.repo.recordOriginalSize(key, -1)).rejects.toThrow(InvalidImageInputError);
    });

    it('deleteByOriginalKey removes the row, and is a no-op for an unknown key', async () => {
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      await ctx.repo.deleteByOriginalKey(key);
      expect(await ctx.repo.getById(row.id)).toBeNull();
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
      await expect(ctx.repo.deleteByOriginalKey(key)).resolves.toBeUndefined();
    });

    it('stores a full-length 1024-character unicode key and refuses a longer one', async () => {
      const key = `uploads/${'é'.repeat(1016)}`;
      expect(key).toHaveLength(1024);
      const row = await ctx.repo.createPending(pending(key));
      expect(row.originalKey).toBe(key);
      expect(await ctx.repo.getByOriginalKey(key)).toMatchObject({ id: row.id });
      // Keys differing only in case or accents are different objects in S3, so different rows.
      const other = await ctx.repo.createPending(pending(`uploads/${'É'.repeat(1016)}`));
      expect(other.id).not.toBe(row.id);
      await expect(ctx.repo.createPending(pending(`${key}x`))).rejects.toThrow(InvalidImageInputError);
    });
  });
}
