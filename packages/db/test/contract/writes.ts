import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import { InvalidImageInputError, type NewImage } from '../../src/index.ts';
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

    it('what createPending returns is what a later read returns, for a new row and for one it finds', async () => {
      ctx.clock.ms = Date.UTC(2025, 6, 7, 8, 9, 10, 11);
      const key = newKey();
      // The filename clipped to 255 characters; no size yet.
      const fresh = await ctx.repo.createPending({
        filename: `${'ü'.repeat(300)}.jpg`,
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: null,
        width: null,
        height: null,
        uploader: 'u-1',
      });
      expect(fresh.filename).toBe('ü'.repeat(255));
      expect(await ctx.repo.getById(fresh.id)).toEqual(fresh);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual(fresh);

      // The upsert finds the row with the workers' results: it returns the row as stored.
      await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key), width: 8 });
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A lake.',
        annotator: 'local',
        model: 'v1',
        tags: [{ label: 'lake', confidence: 0.5, source: 'local' }],
        safety: 'safe',
      });
      ctx.clock.ms += 1000;
      const found = await ctx.repo.createPending({ ...pending(key, 'Lake.jpg'), uploader: 'u-2' });
      expect(found).toMatchObject({
        id: fresh.id,
        filename: 'Lake.jpg',
        uploader: 'u-1',
        // The web tier's metadata is filled in; the worker's results are kept.
        width: 600,
        thumbnailKey: thumbnailKeyFor(key),
        annotation: 'A lake.',
        tags: [{ label: 'lake', confidence: 0.5, source: 'local' }],
        safety: 'safe',
      });
      expect(await ctx.repo.getById(fresh.id)).toEqual(found);
    });

    it('returns each new row as a read gives it: unicode, lone surrogates, no size or dimensions, no uploader', async () => {
      const cases: NewImage[] = [
        { ...pending(newKey(), '😀 “quoted” \\ name.png'), byteSize: null, width: null, height: null },
        { ...pending(newKey(), 'no uploader.gif'), contentType: 'image/gif', uploader: null },
        // Lone surrogates (ill-formed UTF-16): stored, and returned, as U+FFFD.
        { ...pending(`${newKey()}\uD800`, 'lone \uDC00 half.jpg'), contentType: 'image/\uD83Djpeg' },
      ];
      const ids = new Set<number>();
      for (const image of cases) {
        const returned = await ctx.repo.createPending(image);
        expect(await ctx.repo.getByOriginalKey(image.originalKey)).toEqual(returned);
        ids.add(returned.id);
      }
      expect(ids.size).toBe(cases.length);
      expect(await ctx.repo.getByOriginalKey(cases[2]!.originalKey)).toMatchObject({
        originalKey: `${cases[2]!.originalKey.slice(0, -1)}\uFFFD`,
        filename: 'lone \uFFFD half.jpg',
        contentType: 'image/\uFFFDjpeg',
      });
    });

    it('keeps the time to the millisecond, in UTC', async () => {
      ctx.clock.ms = Date.UTC(2024, 1, 29, 23, 59, 58, 987);
      const row = await ctx.repo.createPending(pending(newKey()));
      expect(row.uploadedAt.toISOString()).toBe('2024-02-29T23:59:58.987Z');
      expect(row.updatedAt.toISOString()).toBe('2024-02-29T23:59:58.987Z');
    });

    it('a worker that comes before the web row writes nothing and creates no row', async () => {
      const key = newKey('Sunset.PNG');
      expect(
        await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key), width: 9 }),
      ).toBe(false);
      expect(
        await ctx.repo.recordAnnotation({
          originalKey: key,
          annotation: 'A kite.',
          annotator: 'x',
          model: 'm',
        }),
      ).toBe(false);
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
      // The web row, when it comes, is a plain pending one.
      expect(await ctx.repo.createPending(pending(key, 'Sunset.PNG'))).toMatchObject({
        filename: 'Sunset.PNG',
        thumbnailKey: null,
        thumbnailStatus: 'pending',
        annotation: null,
        annotationStatus: 'pending',
      });
    });

    it('a worker cannot bring back a withdrawn row', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.deleteByOriginalKey(key);
      expect(await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) })).toBe(
        false,
      );
      expect(
        await ctx.repo.recordAnnotation({
          originalKey: key,
          annotation: 'Late.',
          annotator: 'x',
          model: 'm',
        }),
      ).toBe(false);
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
    });

    it('the web row’s second write (the stored size) keeps what a worker recorded meanwhile', async () => {
      const key = newKey();
      await ctx.repo.createPending({ ...pending(key), byteSize: null });
      expect(
        await ctx.repo.recordAnnotation({
          originalKey: key,
          annotation: 'A red kite.',
          annotator: 'gemini',
          model: 'm-1',
        }),
      ).toBe(true);
      const row = await ctx.repo.createPending(pending(key));
      expect(row).toMatchObject({
        byteSize: pending(key).byteSize,
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

    it('the same write twice leaves one identical row, and both find it', async () => {
      ctx.clock.ms = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
      const key = newKey();
      const thumbnail = { originalKey: key, thumbnailKey: thumbnailKeyFor(key), byteSize: 5 };
      const annotation = { originalKey: key, annotation: 'Twice.', annotator: 'local', model: 'v1' };
      await ctx.repo.createPending(pending(key));
      expect(await ctx.repo.recordThumbnail(thumbnail)).toBe(true);
      expect(await ctx.repo.recordAnnotation(annotation)).toBe(true);
      const first = await ctx.repo.getByOriginalKey(key);
      // The same clock: the second writes change no value at all, and still report the row as
      // found (MySQL counts matched rows, not changed ones, with FOUND_ROWS).
      expect(await ctx.repo.recordThumbnail(thumbnail)).toBe(true);
      expect(await ctx.repo.recordAnnotation(annotation)).toBe(true);
      expect(await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'late' })).toBe(true);
      const second = await ctx.repo.createPending(pending(key));
      expect(second).toEqual(first);
    });

    it('recordOriginalSize sets the size and updated_at of an existing row, and creates none', async () => {
      const key = newKey();
      ctx.clock.ms = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
      const row = await ctx.repo.createPending({ ...pending(key), byteSize: null });
      ctx.clock.ms += 1500;
      expect(await ctx.repo.recordOriginalSize(key, 139_434)).toBe(true);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual({
        ...row,
        byteSize: 139_434,
        updatedAt: new Date(ctx.clock.ms),
      });

      const withdrawn = newKey();
      expect(await ctx.repo.recordOriginalSize(withdrawn, 1)).toBe(false);
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
