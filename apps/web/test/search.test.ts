import { readFileSync } from 'node:fs';
import { thumbnailKeyFor } from '@annot/object-keys';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  describeEachBackend,
  postUpload,
  type TestApp,
  webBackends,
  withMethod,
} from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
/** Each upload sends distinct bytes: the platform stores each distinct content once. */
let copies = 0;
const fresh = () => distinctCopy(jpeg, `search ${++copies}`);
const html = { accept: 'text/html,application/xhtml+xml' };

const BACKENDS = await webBackends('search');

const names = (body: { images: { filename: string }[] }) => body.images.map((image) => image.filename);
const cardNames = (body: string) =>
  [...body.matchAll(/<h2 class="filename"[^>]*><a [^>]*>([^<]+)</g)].map((m) => m[1]!);

describeEachBackend(BACKENDS)('search and status filter on $name', (backend) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app: t, stop } = await backend.start({ GALLERY_CACHE_MS: '0', GALLERY_PAGE_SIZE: '2' }));
    // Oldest first: harbour-boats (done), Bicycle_race (failed), harbour-night (pending),
    // market (done), harbour-cranes (done).
    const uploads = [
      'harbour-boats.jpg',
      'Bicycle_race.jpg',
      'harbour-night.jpg',
      'market.jpg',
      'harbour-cranes.jpg',
    ];
    for (const filename of uploads) {
      const id = (await postUpload(t.app, [{ filename, content: fresh() }])).json().images[0].id as number;
      const { originalKey } = (await t.repository.getById(id))!;
      if (filename === 'harbour-night.jpg') continue;
      await t.repository.recordThumbnail({ originalKey, thumbnailKey: thumbnailKeyFor(originalKey) });
      if (filename === 'Bicycle_race.jpg') {
        await t.repository.markFailed({ originalKey, stage: 'annotation', reason: 'quota' });
        continue;
      }
      const annotation =
        filename === 'market.jpg'
          ? 'Fishermen sell their catch beside the boats'
          : `Cranes and boats, ${filename}`;
      await t.repository.recordAnnotation({ originalKey, annotation, annotator: 'local', model: 'v1' });
    }
  });
  afterAll(() => stop?.());

  describe('GET /api/images', () => {
    it('q finds a word of the filename and a word of the annotation, as prefixes, all words', async () => {
      expect(names((await t.app.inject('/api/images?q=harbour&limit=10')).json())).toEqual([
        'harbour-cranes.jpg',
        'harbour-night.jpg',
        'harbour-boats.jpg',
      ]);
      expect(names((await t.app.inject('/api/images?q=FISHERM&limit=10')).json())).toEqual(['market.jpg']);
      expect(names((await t.app.inject('/api/images?q=boats&limit=10')).json())).toEqual([
        'harbour-cranes.jpg',
        'market.jpg',
        'harbour-boats.jpg',
      ]);
      expect(names((await t.app.inject('/api/images?q=boats+cranes&limit=10')).json())).toEqual([
        'harbour-cranes.jpg',
        'harbour-boats.jpg',
      ]);
      expect(names((await t.app.inject('/api/images?q=bicycle&limit=10')).json())).toEqual([
        'Bicycle_race.jpg',
      ]);
      expect(names((await t.app.inject('/api/images?q=zeppelin')).json())).toEqual([]);
    });

    it('status filters by the overall status, alone or with q', async () => {
      const of = async (query: string) => names((await t.app.inject(`/api/images?limit=10&${query}`)).json());
      expect(await of('status=failed')).toEqual(['Bicycle_race.jpg']);
      expect(await of('status=pending')).toEqual(['harbour-night.jpg']);
      expect(await of('status=completed')).toEqual(['harbour-cranes.jpg', 'market.jpg', 'harbour-boats.jpg']);
      expect(await of('status=completed&q=harbour')).toEqual(['harbour-cranes.jpg', 'harbour-boats.jpg']);
      // Blank values are no filter (what an empty search box submits).
      expect(await of('status=&q=')).toHaveLength(5);
    });

    it('pages a filtered result with its cursor, without gaps or repeats', async () => {
      const first = (await t.app.inject('/api/images?q=harbour&limit=2')).json();
      expect(names(first)).toEqual(['harbour-cranes.jpg', 'harbour-night.jpg']);
      const second = (
        await t.app.inject(`/api/images?q=harbour&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)
      ).json();
      expect(names(second)).toEqual(['harbour-boats.jpg']);
      expect(second.nextCursor).toBeNull();
      const done = (await t.app.inject('/api/images?status=completed&limit=1')).json();
      const rest = (
        await t.app.inject(
          `/api/images?status=completed&limit=5&cursor=${encodeURIComponent(done.nextCursor)}`,
        )
      ).json();
      expect([...names(done), ...names(rest)]).toEqual([
        'harbour-cranes.jpg',
        'market.jpg',
        'harbour-boats.jpg',
      ]);
    });

    it.each([
      [
        'an unknown status',
        'status=done',
        'invalid_filter',
        /no status “done”: choose pending, failed or completed/,
      ],
      [
        'a q over 200 characters',
        `q=${'boats+'.repeat(40)}`,
        'invalid_filter',
        /too long: at most 200 characters/,
      ],
      ['a q of stopwords', 'q=the+a+of', 'invalid_filter', /no word to search for/],
      ['a q of punctuation', 'q=%21%21', 'invalid_filter', /no word to search for/],
      ['a bad cursor', 'q=harbour&cursor=garbage', 'invalid_cursor', /Invalid pagination cursor/],
      ['a bad limit', 'limit=0&q=harbour', 'invalid_request', /limit/],
    ])('refuses %s with a 400 and a plain message', async (_what, query, error, message) => {
      const response = await t.app.inject(`/api/images?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error, message: expect.stringMatching(message) });
    });
  });

  describe('GET /gallery', () => {
    it('has a search form (GET) that shows the search it made, with the cards linking to their pages', async () => {
      const response = await t.app.inject({ url: '/gallery?q=harbour&status=completed', headers: html });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<form class="search" method="get" action="/gallery" role="search">');
      expect(response.body).toContain('name="q" value="harbour"');
      expect(response.body).toContain('<option value="completed" selected>');
      expect(response.body).toContain('<meta name="color-scheme" content="light dark">');
      expect(response.body).toContain('aria-live="polite"');
      expect(cardNames(response.body)).toEqual(['harbour-cranes.jpg', 'harbour-boats.jpg']);
      for (const [, id] of response.body.matchAll(/<article class="card" data-id="(\d+)"/g)) {
        expect(response.body).toContain(`href="/images/${id}"`);
      }
      // The first page follows new uploads of the same search.
      expect(response.body).toContain('data-live="/gallery/cards?q=harbour&amp;status=completed"');
    });

    it('keeps q and status in the paging links', async () => {
      const first = await t.app.inject({ url: '/gallery?q=harbour', headers: html });
      expect(cardNames(first.body)).toEqual(['harbour-cranes.jpg', 'harbour-night.jpg']);
      const older = /href="(\/gallery\?q=harbour&amp;cursor=[^"]+)"/.exec(first.body)?.[1];
      expect(older).toBeDefined();
      const second = await t.app.inject({ url: older!.replaceAll('&amp;', '&'), headers: html });
      expect(cardNames(second.body)).toEqual(['harbour-boats.jpg']);
      expect(second.body).toContain('href="/gallery?q=harbour"');
      expect(second.body).not.toContain('data-live=');
    });

    it('says so when nothing matches, and offers to clear the search', async () => {
      const response = await t.app.inject({ url: '/gallery?q=zeppelin', headers: html });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('No images match this search.');
      expect(response.body).toContain('<a class="button" href="/gallery">Clear the search</a>');
    });

    it.each([
      ['q=the', /has no word to search for/],
      ['status=done', /no status “done”/],
    ])('answers %s with the page, a 400 and what to change', async (query, message) => {
      const response = await t.app.inject({ url: `/gallery?${query}`, headers: html });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toMatch(message);
      expect(response.body).toContain('role="search"');
    });
  });

  describe('GET /gallery/cards', () => {
    it('is the first page’s cards, by the page’s own card partial, for the filters given', async () => {
      const page = await t.app.inject({ url: '/gallery?status=completed', headers: html });
      const cards = await t.app.inject({ url: '/gallery/cards?status=completed', headers: html });
      expect(cards.statusCode).toBe(200);
      expect(cards.headers['content-type']).toMatch(/^text\/html/);
      expect(cards.body).not.toContain('<html');
      const articles = (body: string) => [...body.matchAll(/<article[\s\S]*?<\/article>/g)].map((m) => m[0]);
      expect(articles(cards.body)).toEqual(articles(page.body));
      expect(cardNames(cards.body)).toEqual(['harbour-cranes.jpg', 'market.jpg']);
      expect(cardNames((await t.app.inject('/gallery/cards?q=bicycle')).body)).toEqual(['Bicycle_race.jpg']);
    });

    it('refuses a bad filter with a 400', async () => {
      const response = await t.app.inject({
        url: '/gallery/cards?status=done',
        headers: { accept: 'application/json' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid_filter');
    });
  });
});

describe('the gallery cache and searches', () => {
  let t: TestApp;
  let calls = 0;
  beforeAll(async () => {
    t = await buildTestApp(
      { GALLERY_CACHE_MS: '60000' },
      {},
      {
        wrapRepository: (repository) =>
          withMethod(repository, 'listPage', (options) => {
            calls++;
            return repository.listPage(options);
          }),
      },
    );
    await postUpload(t.app, [{ filename: 'harbour.jpg', content: fresh() }]);
  });
  afterAll(() => t.close());

  it('caches unfiltered and status pages, never a search (whose values are unbounded)', async () => {
    const count = async (url: string) => {
      const before = calls;
      for (let i = 0; i < 3; i++) expect((await t.app.inject({ url, headers: html })).statusCode).toBe(200);
      return calls - before;
    };
    expect(await count('/gallery')).toBe(1);
    expect(await count('/gallery?status=pending')).toBe(1);
    expect(await count('/gallery/cards')).toBe(1);
    expect(await count('/gallery?q=harbour')).toBe(3);
    expect(await count('/gallery/cards?q=harbour')).toBe(3);
  });

  it('shows a new upload on every cached first page and fragment of this process at once', async () => {
    await postUpload(t.app, [{ filename: 'second.jpg', content: fresh() }]);
    for (const url of ['/gallery', '/gallery?status=pending', '/gallery/cards']) {
      expect(cardNames((await t.app.inject({ url, headers: html })).body)[0]).toBe('second.jpg');
    }
  });
});
