import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import {
  type AnnotationResult,
  InvalidImageInputError,
  MAX_PAGE_SIZE,
  type Status,
} from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

let counter = 0;
/** A label and word no other test writes, so a filter or search finds only this test's rows. */
const uniqueWord = () => `tg${Date.now().toString(36)}x${(counter++).toString(36)}`;

export function tagContract(ctx: Context): void {
  /** A stored, thumbnailed row annotated with `extra` (tags, text, safety). */
  async function annotated(extra: Partial<AnnotationResult>, filename = 'photo.jpg') {
    const key = newKey(filename);
    const row = await ctx.repo.createPending(pending(key, filename));
    await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });
    await ctx.repo.recordAnnotation({
      originalKey: key,
      annotation: 'A caption.',
      annotator: 'gemini',
      model: 'm1',
      ...extra,
    });
    return { key, id: row.id };
  }

  const byTag = async (tag: string, more: { search?: string; status?: Status } = {}) =>
    (await ctx.repo.listPage({ limit: MAX_PAGE_SIZE, tag, storedOnly: true, ...more })).images.map(
      (image) => image.id,
    );

  describe('structured annotations: tags, text in the image, safety', () => {
    it('stores tags (normalised, most confident first), text and safety, and reads them back', async () => {
      const w = uniqueWord();
      const { id, key } = await annotated({
        tags: [
          { label: '  Dog ', confidence: 0.82, source: 'centernet' },
          { label: w, confidence: 0.4, source: 'gemini' },
          { label: 'dog', confidence: 0.9, source: 'gemini' },
          { label: '   ', confidence: 0.5, source: 'gemini' },
          { label: 'x'.repeat(80), confidence: 0.1, source: 'gemini' },
        ],
        textInImage: '  BLACK+DECKER  ',
        safety: 'safe',
      });
      const record = await ctx.repo.getById(id);
      expect(record?.tags).toEqual([
        { label: 'dog', confidence: 0.9, source: 'gemini' },
        { label: w, confidence: 0.4, source: 'gemini' },
        { label: 'x'.repeat(64), confidence: 0.1, source: 'gemini' },
      ]);
      expect(record?.textInImage).toBe('BLACK+DECKER');
      expect(record?.safety).toBe('safe');
      expect((await ctx.repo.getByOriginalKey(key))?.tags).toEqual(record?.tags);
      const [listed] = (await ctx.repo.listPage({ limit: 1, tag: w })).images;
      expect(listed).toEqual(record);
    });

    it('a search finds a row by any of its tags, each tag a word of its own', async () => {
      const w = uniqueWord();
      const { id } = await annotated({
        tags: [
          { label: `kite${w}`, confidence: 0.9, source: 'gemini' },
          { label: `lake${w}`, confidence: 0.5, source: 'gemini' },
        ],
      });
      const search = async (q: string) =>
        (await ctx.repo.listPage({ limit: 10, search: q, storedOnly: true })).images.map((image) => image.id);
      expect(await search(`kite${w}`)).toEqual([id]);
      expect(await search(`lake${w}`)).toEqual([id]);
    });

    it('has no tags, no text and no safety for an annotation without them, or not yet annotated', async () => {
      const { id } = await annotated({});
      expect(await ctx.repo.getById(id)).toMatchObject({ tags: [], textInImage: null, safety: null });
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      expect(row).toMatchObject({ tags: [], textInImage: null, safety: null });
      const blank = await annotated({ textInImage: '  \n ', tags: [] });
      expect((await ctx.repo.getById(blank.id))?.textInImage).toBeNull();
    });

    it('replaces the tags, text and safety on a re-annotation, in the filter too', async () => {
      const first = uniqueWord();
      const second = uniqueWord();
      const { id, key } = await annotated({
        tags: [{ label: first, confidence: 0.7, source: 'a' }],
        textInImage: 'old words',
        safety: 'sensitive',
      });
      expect(await byTag(first)).toEqual([id]);
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'Again.',
        annotator: 'local',
        model: 'm2',
        tags: [{ label: second, confidence: 0.6, source: 'b' }],
      });
      expect(await ctx.repo.getById(id)).toMatchObject({
        tags: [{ label: second, confidence: 0.6, source: 'b' }],
        textInImage: null,
        safety: null,
      });
      expect(await byTag(first)).toEqual([]);
      expect(await byTag(second)).toEqual([id]);
      expect((await ctx.repo.listPage({ limit: 10, search: first })).images).toEqual([]);
    });

    it('refuses a confidence outside 0..1 or an unknown safety, writing nothing', async () => {
      const w = uniqueWord();
      const { id, key } = await annotated({ tags: [{ label: w, confidence: 0.5, source: 's' }] });
      for (const confidence of [-0.1, 1.5, Number.NaN]) {
        await expect(
          ctx.repo.recordAnnotation({
            originalKey: key,
            annotation: 'x',
            annotator: 'a',
            model: 'm',
            tags: [{ label: 'cat', confidence, source: 's' }],
          }),
        ).rejects.toThrow(InvalidImageInputError);
      }
      await expect(
        ctx.repo.recordAnnotation({
          originalKey: key,
          annotation: 'x',
          annotator: 'a',
          model: 'm',
          safety: 'nsfw' as 'safe',
        }),
      ).rejects.toThrow(InvalidImageInputError);
      expect((await ctx.repo.getById(id))?.tags).toEqual([{ label: w, confidence: 0.5, source: 's' }]);
    });

    it('writes nothing for a withdrawn upload', async () => {
      const key = newKey();
      expect(
        await ctx.repo.recordAnnotation({
          originalKey: key,
          annotation: 'x',
          annotator: 'a',
          model: 'm',
          tags: [{ label: 'dog', confidence: 0.5, source: 's' }],
        }),
      ).toBe(false);
    });

    it('filters by exact tag label, lowercased, combined with status and search', async () => {
      const w = uniqueWord();
      const other = uniqueWord();
      const a = await annotated({ tags: [{ label: w, confidence: 0.9, source: 's' }] }, `${other}-a.jpg`);
      const b = await annotated({ tags: [{ label: w, confidence: 0.3, source: 's' }] }, 'b.jpg');
      // A label that starts with w is not w: the filter is exact, not a prefix.
      await annotated({ tags: [{ label: `${w}s`, confidence: 0.9, source: 's' }] }, `${other}-c.jpg`);
      await annotated({ tags: [{ label: 'unrelated', confidence: 0.9, source: 's' }] }, `${other}-d.jpg`);
      await ctx.repo.markFailed({ originalKey: b.key, stage: 'annotation', reason: 'x' });
      expect(await byTag(w)).toEqual([b.id, a.id]);
      expect(await byTag(` ${w.toUpperCase()} `)).toEqual([b.id, a.id]);
      expect(await byTag(w, { search: other })).toEqual([a.id]);
      expect(await byTag(w, { status: 'completed' })).toEqual([b.id, a.id]);
      expect(await byTag(`${w}x`)).toEqual([]);
      // Blank: no tag filter.
      expect((await ctx.repo.listPage({ limit: 1, tag: '  ' })).images).toHaveLength(1);
    });

    it('searches the tags and the text in the image (q), as prefixes, with the other fields', async () => {
      const w = uniqueWord();
      const byTagRow = await annotated({ tags: [{ label: `${w} retriever`, confidence: 0.9, source: 's' }] });
      const byText = await annotated({ textInImage: `${w} BLACK+DECKER saw` });
      const ids = async (search: string) =>
        (await ctx.repo.listPage({ limit: MAX_PAGE_SIZE, search })).images.map((image) => image.id);
      expect(await ids(w)).toEqual([byText.id, byTagRow.id]);
      expect(await ids(`${w} retriev`)).toEqual([byTagRow.id]);
      expect(await ids(`${w} black decker`)).toEqual([byText.id]);
      expect(await ids(`${w} caption`)).toEqual([byText.id, byTagRow.id]);
    });

    it('pages a tag (and a tag with a search) newest first with cursors, without gaps or repeats', async () => {
      const w = uniqueWord();
      const base = Date.UTC(2097, 0, 1);
      const made: number[] = [];
      for (let i = 0; i < 9; i++) {
        ctx.clock.ms = base + Math.floor(i / 2);
        const row = await annotated({
          tags: [{ label: i % 3 === 0 ? 'other' : w, confidence: 0.5, source: 's' }],
          textInImage: `${w} sign`,
        });
        if (i % 3 !== 0) made.push(row.id);
      }
      ctx.clock.ms = null;
      const expected = made.reverse();
      for (const search of [null, w]) {
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await ctx.repo.listPage({ limit: 2, cursor, tag: w, search, storedOnly: true });
          seen.push(...page.images.map((image) => image.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 20);
        expect(seen, `search ${search}`).toEqual(expected);
      }
    });

    it('deletes the tags with their image', async () => {
      const w = uniqueWord();
      const { id } = await annotated({ tags: [{ label: w, confidence: 0.5, source: 's' }] });
      expect(await ctx.repo.deleteById(id)).not.toBeNull();
      expect(await byTag(w)).toEqual([]);
    });
  });
}
