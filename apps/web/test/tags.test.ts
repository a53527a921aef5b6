import { readFileSync } from 'node:fs';
import { thumbnailKeyFor } from '@annot/object-keys';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, postUpload, type TestApp, webBackends } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
let copies = 0;
const fresh = () => distinctCopy(jpeg, `tags ${++copies}`);
const html = { accept: 'text/html,application/xhtml+xml' };

const BACKENDS = await webBackends('tags');

const names = (body: { images: { filename: string }[] }) => body.images.map((image) => image.filename);
const cardNames = (body: string) =>
  [...body.matchAll(/<h2 class="filename"[^>]*><a [^>]*>([^<]+)</g)].map((m) => m[1]!);

describeEachBackend(BACKENDS)('tags, text in the image and safety on $name', (backend) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  const ids = new Map<string, number>();
  beforeAll(async () => {
    ({ app: t, stop } = await backend.start({ GALLERY_CACHE_MS: '0', GALLERY_PAGE_SIZE: '2' }));
    // Oldest first. dog-park and dog-beach are tagged dog; saw has text; plain has no structure.
    const uploads: [string, Record<string, unknown>][] = [
      [
        'dog-park.jpg',
        {
          tags: [
            { label: 'dog', confidence: 0.82, source: 'centernet' },
            { label: 'person', confidence: 0.61, source: 'centernet' },
          ],
          safety: 'safe',
        },
      ],
      [
        'saw.jpg',
        {
          tags: [{ label: 'tool', confidence: 0.7, source: 'gemini' }],
          textInImage: 'BLACK+DECKER <b>',
          safety: 'safe',
        },
      ],
      ['plain.jpg', {}],
      [
        'dog-beach.jpg',
        { tags: [{ label: 'Dog', confidence: 0.55, source: 'gemini' }], safety: 'sensitive' },
      ],
    ];
    for (const [filename, extra] of uploads) {
      const id = (await postUpload(t.app, [{ filename, content: fresh() }])).json().images[0].id as number;
      ids.set(filename, id);
      const { originalKey } = (await t.repository.getById(id))!;
      await t.repository.recordThumbnail({ originalKey, thumbnailKey: thumbnailKeyFor(originalKey) });
      await t.repository.recordAnnotation({
        originalKey,
        annotation: `A photo, ${filename}`,
        annotator: 'local',
        model: 'v1',
        ...extra,
      });
    }
  });
  afterAll(() => stop?.());

  it('GET /api/images gives each image its tags, textInImage (null when none) and safety', async () => {
    const body = (await t.app.inject('/api/images?limit=10')).json();
    const byName = Object.fromEntries(
      body.images.map((image: { filename: string }) => [image.filename, image]),
    );
    expect(byName['dog-park.jpg']).toMatchObject({
      tags: [
        { label: 'dog', confidence: 0.82, source: 'centernet' },
        { label: 'person', confidence: 0.61, source: 'centernet' },
      ],
      textInImage: null,
      safety: 'safe',
    });
    expect(byName['saw.jpg']).toMatchObject({
      tags: [{ label: 'tool', confidence: 0.7, source: 'gemini' }],
      textInImage: 'BLACK+DECKER <b>',
      safety: 'safe',
    });
    expect(byName['plain.jpg']).toMatchObject({ tags: [], textInImage: null, safety: null });
    expect(byName['dog-beach.jpg']).toMatchObject({
      tags: [{ label: 'dog', confidence: 0.55, source: 'gemini' }],
      safety: 'sensitive',
    });
    const one = (await t.app.inject(`/api/images/${ids.get('saw.jpg')}`)).json();
    expect(one).toMatchObject({ textInImage: 'BLACK+DECKER <b>', tags: [{ label: 'tool' }] });
  });

  it('GET /api/images/status gives the tags, text and safety, for the gallery to show once annotated', async () => {
    const body = (
      await t.app.inject(`/api/images/status?ids=${ids.get('saw.jpg')},${ids.get('plain.jpg')}`)
    ).json();
    const byId = new Map(body.images.map((image: { id: number }) => [image.id, image]));
    expect(byId.get(ids.get('saw.jpg'))).toMatchObject({
      tags: [{ label: 'tool', confidence: 0.7, source: 'gemini' }],
      textInImage: 'BLACK+DECKER <b>',
      safety: 'safe',
    });
    expect(byId.get(ids.get('plain.jpg'))).toMatchObject({ tags: [], textInImage: null, safety: null });
  });

  it('tag= filters by exact label (any case), pages with cursors, and combines with q and status', async () => {
    const of = async (query: string) => names((await t.app.inject(`/api/images?limit=10&${query}`)).json());
    expect(await of('tag=dog')).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
    expect(await of('tag=%20DOG%20')).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
    expect(await of('tag=do')).toEqual([]);
    expect(await of('tag=dog&q=park')).toEqual(['dog-park.jpg']);
    expect(await of('tag=dog&status=completed')).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
    expect(await of('tag=dog&status=failed')).toEqual([]);
    expect(await of('tag=')).toHaveLength(4);
    const first = (await t.app.inject('/api/images?limit=1&tag=dog')).json();
    expect(names(first)).toEqual(['dog-beach.jpg']);
    const second = (
      await t.app.inject(`/api/images?limit=1&tag=dog&cursor=${encodeURIComponent(first.nextCursor)}`)
    ).json();
    expect(names(second)).toEqual(['dog-park.jpg']);
    expect(second.nextCursor).toBeNull();
    const tooLong = await t.app.inject(`/api/images?tag=${'x'.repeat(65)}`);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().message).toMatch(/at most 64/);
  });

  it('q searches the tags and the text in the image', async () => {
    const of = async (q: string) => names((await t.app.inject(`/api/images?limit=10&q=${q}`)).json());
    expect(await of('black')).toEqual(['saw.jpg']);
    expect(await of('decker+tool')).toEqual(['saw.jpg']);
    expect(await of('pers')).toEqual(['dog-park.jpg']);
    expect(await of('dog')).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
  });

  it('the gallery shows tags as links that filter it, and the text, marked as machine-made', async () => {
    const page = await t.app.inject({ url: '/gallery?tag=dog', headers: html });
    expect(page.statusCode).toBe(200);
    // GALLERY_PAGE_SIZE is 2.
    expect(cardNames(page.body)).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
    expect(page.body).toContain('Tags (machine-made):');
    expect(page.body).toContain('<a class="tag" href="/gallery?tag=dog"');
    expect(page.body).toContain('<input type="hidden" name="tag" value="dog">');
    expect(page.body).toContain('Flagged as sensitive (machine-made)');
    const all = await t.app.inject({ url: '/gallery?q=black', headers: html });
    expect(cardNames(all.body)).toEqual(['saw.jpg']);
    expect(all.body).toContain('Text read in the image (machine-made):');
    // Escaped: the text is the image's, not markup.
    expect(all.body).toContain('BLACK+DECKER &lt;b&gt;');
    expect(all.body).not.toContain('BLACK+DECKER <b>');
    // The live gallery keeps following the tag.
    expect(page.body).toContain('data-live="/gallery/cards?tag=dog"');
    const bad = await t.app.inject({ url: `/gallery?tag=${'x'.repeat(65)}`, headers: html });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('A tag is at most 64 characters long.');
    const none = await t.app.inject({ url: '/gallery?tag=zeppelin', headers: html });
    expect(cardNames(none.body)).toEqual([]);
    expect(none.body).toContain('No images match this search.');
    const cards = await t.app.inject({ url: '/gallery/cards?tag=dog', headers: html });
    expect(cardNames(cards.body)).toEqual(['dog-beach.jpg', 'dog-park.jpg']);
  });

  it('the image page lists the tags with their confidence and the text, marked as machine-made', async () => {
    const page = await t.app.inject({ url: `/images/${ids.get('dog-park.jpg')}`, headers: html });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/Tags <span class="muted">\(machine-made\)<\/span>/);
    expect(page.body).toContain('<a class="tag" href="/gallery?tag=person">person</a>');
    expect(page.body).toContain('82%, by centernet');
    const saw = await t.app.inject({ url: `/images/${ids.get('saw.jpg')}`, headers: html });
    expect(saw.body).toMatch(/Text read in the image <span class="muted">\(machine-made\)<\/span>/);
    expect(saw.body).toContain('BLACK+DECKER &lt;b&gt;');
    const plain = await t.app.inject({ url: `/images/${ids.get('plain.jpg')}`, headers: html });
    expect(plain.body).not.toContain('machine-made');
  });
});
