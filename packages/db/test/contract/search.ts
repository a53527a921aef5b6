import { thumbnailKeyFor } from '@annot/object-keys';
import { describe, expect, it } from 'vitest';
import {
  InvalidCursorError,
  InvalidImageInputError,
  InvalidSearchError,
  type Status,
} from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

let counter = 0;
/** A word no other test writes, so a search finds only this test's rows. */
const uniqueWord = () => `uq${Date.now().toString(36)}x${(counter++).toString(36)}`;

export function searchContract(ctx: Context): void {
  /** A stored row with this filename, annotation and overall status. */
  async function image(filename: string, annotation: string | null, status: Status = 'completed') {
    const key = newKey();
    const row = await ctx.repo.createPending(pending(key, filename));
    if (status === 'completed' || annotation !== null) {
      await ctx.repo.recordThumbnail({ originalKey: key, thumbnailKey: thumbnailKeyFor(key) });
    }
    if (annotation !== null) {
      await ctx.repo.recordAnnotation({ originalKey: key, annotation, annotator: 'local', model: 'v1' });
    }
    if (status === 'failed') await ctx.repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'x' });
    if (status === 'pending' && annotation !== null) {
      throw new Error('a pending row has no annotation in these tests');
    }
    return row;
  }

  const ids = async (search: string, status: Status | null = null) =>
    (await ctx.repo.listPage({ limit: 1000, search, status, storedOnly: true })).images.map((i) => i.id);

  describe('listPage search and status', () => {
    it('finds a word of the filename and a word of the annotation, as prefixes, whatever the case or accents', async () => {
      const w = uniqueWord();
      const byName = await image(`IMG_${w}_Bicycle.JPG`, null, 'pending');
      const byText = await image('photo.png', `A red Café on a ${w} street, with bicycles.`);
      const neither = await image('other.png', 'Nothing to see here.');
      expect(await ids(w)).toEqual([byText.id, byName.id]);
      expect(await ids(w.toUpperCase())).toEqual([byText.id, byName.id]);
      // Prefixes: "bicycl" finds "bicycle" in a filename and "bicycles" in an annotation.
      expect(await ids(`${w} bicycl`)).toEqual([byText.id, byName.id]);
      // Every word must match (AND), in any field.
      expect(await ids(`${w} cafe`)).toEqual([byText.id]);
      expect(await ids(`${w} CAFÉ street`)).toEqual([byText.id]);
      expect(await ids(`${w} img`)).toEqual([byName.id]);
      expect(await ids(`${w} nothing`)).toEqual([]);
      expect(await ids('nothing see')).toContain(neither.id);
    });

    it('splits on every character that is not a letter or digit, underscores too', async () => {
      const w = uniqueWord();
      const row = await image(`${w}_holiday-2041.jpeg`, "it's the lighthouse's beam");
      expect(await ids(`${w} holiday 2041 jpeg`)).toEqual([row.id]);
      // Apostrophes split words: "lighthouse" is a word of "lighthouse's".
      expect(await ids(`${w} lighthouse beam`)).toEqual([row.id]);
    });

    it('ignores short words and stopwords in the query and in the text, so prefixes agree', async () => {
      const w = uniqueWord();
      const row = await image(`${w}.jpg`, 'This is about a thin cat on an ox');
      // "the"/"a"/"on" are not searched; "thi" matches "thin" (not the stopword "this").
      expect(await ids(`the ${w} a on thi`)).toEqual([row.id]);
      // "abo" would match the stopword "about" only: no row.
      expect(await ids(`${w} abo`)).toEqual([]);
      // "ox" is too short to search: ignored, not matched.
      expect(await ids(`${w} ox`)).toEqual([row.id]);
    });

    it('refuses a search with no searchable word, or too long', async () => {
      for (const q of ['a', 'the of to', '!!', 'ox an']) {
        await expect(ctx.repo.listPage({ limit: 10, search: q })).rejects.toThrow(InvalidSearchError);
      }
      await expect(ctx.repo.listPage({ limit: 10, search: 'cat '.repeat(60) })).rejects.toThrow(
        InvalidSearchError,
      );
      // Blank is no search at all.
      const all = await ctx.repo.listPage({ limit: 5 });
      expect((await ctx.repo.listPage({ limit: 5, search: '   ' })).images).toEqual(all.images);
    });

    it('filters by overall status: failed if either stage failed, pending if either is pending', async () => {
      const w = uniqueWord();
      const done = await image(`${w}-a.jpg`, 'done');
      const waiting = await image(`${w}-b.jpg`, null, 'pending');
      const failed = await image(`${w}-c.jpg`, null, 'failed');
      // Failed thumbnail, annotation still pending: failed wins.
      expect(await ids(w, 'failed')).toEqual([failed.id]);
      expect(await ids(w, 'pending')).toEqual([waiting.id]);
      expect(await ids(w, 'completed')).toEqual([done.id]);
      const failedIds = (await ctx.repo.listPage({ limit: 1000, status: 'failed' })).images;
      expect(failedIds.map((i) => i.id)).toContain(failed.id);
      expect(failedIds.every((i) => i.thumbnailStatus === 'failed' || i.annotationStatus === 'failed')).toBe(
        true,
      );
      await expect(ctx.repo.listPage({ limit: 10, status: 'done' as Status })).rejects.toThrow(
        InvalidImageInputError,
      );
    });

    it('pages filtered results newest first with cursors, without gaps or repeats, on both filters', async () => {
      const w = uniqueWord();
      const base = Date.UTC(2098, 0, 1);
      const made: { id: number; status: Status }[] = [];
      // Same milliseconds in pairs, so cursors land between rows of one millisecond.
      for (let i = 0; i < 9; i++) {
        ctx.clock.ms = base + Math.floor(i / 2);
        const status: Status = i % 3 === 0 ? 'failed' : 'completed';
        const row = await image(`${w}-${i}.jpg`, status === 'completed' ? `picture ${i}` : null, status);
        made.push({ id: row.id, status });
      }
      ctx.clock.ms = null;
      const newestFirst = [...made].reverse();
      for (const status of [null, 'completed', 'failed'] as const) {
        const expected = newestFirst.filter((m) => status === null || m.status === status).map((m) => m.id);
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await ctx.repo.listPage({ limit: 2, cursor, search: w, status, storedOnly: true });
          seen.push(...page.images.map((i) => i.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 20);
        expect(seen, `status ${status}`).toEqual(expected);
      }
      await expect(ctx.repo.listPage({ limit: 2, cursor: 'bad!', search: w })).rejects.toThrow(
        InvalidCursorError,
      );
    });

    it('a word on more rows than a page: the newest stored rows first, pages without gaps', async () => {
      const w = uniqueWord();
      const stored = [];
      for (let i = 0; i < 3; i++) stored.push(await image(`${w}-${i}.jpg`, `a ${w} picture`));
      // The newest row with the word is still arriving.
      const arriving = await ctx.repo.createPending({ ...pending(newKey(), `${w}-new.jpg`), byteSize: null });
      const [s0, s1, s2] = stored.map((row) => row.id) as [number, number, number];

      const first = await ctx.repo.listPage({ limit: 2, search: w, storedOnly: true });
      expect(first.images.map((i) => i.id)).toEqual([s2, s1]);
      const rest = await ctx.repo.listPage({
        limit: 2,
        search: w,
        storedOnly: true,
        cursor: first.nextCursor,
      });
      expect(rest.images.map((i) => i.id)).toEqual([s0]);
      expect(rest.nextCursor).toBeNull();
      // Without storedOnly the upload in progress is the newest.
      const all = await ctx.repo.listPage({ limit: 2, search: w });
      expect(all.images.map((i) => i.id)).toEqual([arriving.id, s2]);
      const onlyOne = await ctx.repo.listPage({ limit: 1, search: `${w} picture`, storedOnly: true });
      expect(onlyOne.images.map((i) => i.id)).toEqual([s2]);
      expect(onlyOne.nextCursor).not.toBeNull();
    });

    it('follows renames and new annotations, and forgets deleted rows', async () => {
      const w = uniqueWord();
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key, `${w}-first.jpg`));
      expect(await ids(`${w} first`)).toEqual([row.id]);
      await ctx.repo.createPending(pending(key, `${w}-second.jpg`));
      expect(await ids(`${w} first`)).toEqual([]);
      expect(await ids(`${w} second`)).toEqual([row.id]);
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A lighthouse',
        annotator: 'x',
        model: 'y',
      });
      await ctx.repo.recordAnnotation({
        originalKey: key,
        annotation: 'A windmill',
        annotator: 'x',
        model: 'y',
      });
      expect(await ids(`${w} lighthouse`)).toEqual([]);
      expect(await ids(`${w} windmill`)).toEqual([row.id]);
      await ctx.repo.deleteByOriginalKey(key);
      expect(await ids(w)).toEqual([]);
    });
  });
}
