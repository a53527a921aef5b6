import { readFileSync } from 'node:fs';
import type { ImageRepository } from '@annot/db';
import { distinctCopy, fixturePath } from '@annot/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp, withMethod } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const html = { accept: 'text/html,application/xhtml+xml' };

/** Counts the gallery's queries, and can make the next one fail as a lost database would. */
class ListPageSpy {
  calls = 0;
  failNext = false;

  wrap = (repository: ImageRepository): ImageRepository =>
    withMethod(repository, 'listPage', async (...args) => {
      this.calls++;
      if (this.failNext) {
        this.failNext = false;
        throw new Error('database unavailable');
      }
      return repository.listPage(...args);
    });
}

function filenames(body: string): string[] {
  return [...body.matchAll(/<h2 class="filename"[^>]*><a [^>]*>([^<]+)</g)].map((m) => m[1]!);
}

async function upload(t: TestApp, filename: string, accept = 'application/json') {
  // Distinct bytes for each name: the same bytes twice would be one image.
  const response = await postUpload(t.app, [{ filename, content: distinctCopy(jpeg, filename) }], accept);
  expect(response.statusCode).toBe(accept === 'application/json' ? 201 : 303);
  return response;
}

/** A clock the test moves by hand: the cache's TTL never races the wall clock. */
class SteppedClock {
  // Not 0: lru-cache takes an entry stamped at time 0 for one without a TTL.
  #ms = 1_000_000;
  now = () => this.#ms;
  advance(ms: number) {
    this.#ms += ms;
  }
}

describe('the gallery page cache (GALLERY_CACHE_MS=60000)', () => {
  let t: TestApp;
  let spy: ListPageSpy;
  // Each test has its own app and its own three images, so it runs the same alone or in any order.
  beforeEach(async () => {
    spy = new ListPageSpy();
    // A clock that never moves: whatever changes on a page here is the invalidation's doing.
    t = await buildTestApp(
      { GALLERY_CACHE_MS: '60000', GALLERY_PAGE_SIZE: '2' },
      {},
      { wrapRepository: spy.wrap, clock: new SteppedClock() },
    );
    for (const name of ['one.jpg', 'two.jpg', 'three.jpg']) await upload(t, name);
  });
  afterEach(() => t?.close());

  it('answers a second request within the TTL without asking the repository', async () => {
    const first = await t.app.inject({ url: '/gallery', headers: html });
    const calls = spy.calls;
    const second = await t.app.inject({ url: '/gallery', headers: html });

    expect(spy.calls).toBe(calls);
    expect(second.statusCode).toBe(200);
    expect(second.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(second.body).toBe(first.body);
    expect(filenames(second.body)).toEqual(['three.jpg', 'two.jpg']);
  });

  it('keeps each cursor on its own', async () => {
    const first = await t.app.inject({ url: '/gallery', headers: html });
    const next = /href="\/gallery\?cursor=([^"]+)"/.exec(first.body)![1]!;
    const calls = spy.calls;

    const older = await t.app.inject({ url: `/gallery?cursor=${next}`, headers: html });
    await t.app.inject({ url: `/gallery?cursor=${next}`, headers: html });

    expect(filenames(older.body)).toEqual(['one.jpg']);
    expect(spy.calls).toBe(calls + 1);
  });

  it('renders a page once for concurrent requests that miss', async () => {
    await upload(t, 'four.jpg'); // forgets the first page
    const calls = spy.calls;

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => t.app.inject({ url: '/gallery', headers: html })),
    );

    expect(spy.calls).toBe(calls + 1);
    for (const response of responses) expect(filenames(response.body)).toEqual(['four.jpg', 'three.jpg']);
  });

  it('shows an upload on the first page as soon as it is accepted', async () => {
    await t.app.inject({ url: '/gallery', headers: html }); // cached
    const form = await upload(t, 'four.jpg', 'text/html');
    expect(form.headers.location).toBe('/gallery');

    const page = await t.app.inject({ url: '/gallery', headers: html });

    expect(filenames(page.body)).toEqual(['four.jpg', 'three.jpg']);
  });

  it('does not cache a failed render', async () => {
    await upload(t, 'four.jpg');
    spy.failNext = true;

    const failed = await t.app.inject({ url: '/gallery', headers: html });
    const retried = await t.app.inject({ url: '/gallery', headers: html });

    expect(failed.statusCode).toBe(500);
    expect(retried.statusCode).toBe(200);
    expect(filenames(retried.body)).toEqual(['four.jpg', 'three.jpg']);
  });
});

describe('a change the process did not make', () => {
  it('shows within GALLERY_CACHE_MS', async () => {
    const clock = new SteppedClock();
    const t = await buildTestApp({ GALLERY_CACHE_MS: '150' }, {}, { clock });
    try {
      const id = (await upload(t, 'slow.jpg')).json().images[0].id;
      const key = (await t.repository.getById(id))!.originalKey;
      await t.app.inject({ url: '/gallery', headers: html });
      // As the annotator Lambda does: straight to the database.
      await t.repository.recordAnnotation({
        originalKey: key,
        annotation: 'A quiet lake',
        annotator: 'local',
        model: 'local-v1',
      });

      clock.advance(150);
      const cached = await t.app.inject({ url: '/gallery', headers: html });
      clock.advance(1);
      const fresh = await t.app.inject({ url: '/gallery', headers: html });

      // Up to GALLERY_CACHE_MS old, never older.
      expect(cached.body).not.toContain('A quiet lake');
      expect(fresh.body).toContain('A quiet lake');
    } finally {
      await t.close();
    }
  });
});

describe('GALLERY_CACHE_MS=0', () => {
  it('renders every request', async () => {
    const spy = new ListPageSpy();
    const t = await buildTestApp({ GALLERY_CACHE_MS: '0' }, {}, { wrapRepository: spy.wrap });
    try {
      const id = (await upload(t, 'now.jpg')).json().images[0].id;
      const key = (await t.repository.getById(id))!.originalKey;
      await t.app.inject({ url: '/gallery', headers: html });
      await t.repository.markFailed({ originalKey: key, stage: 'annotation', reason: 'blocked' });
      const calls = spy.calls;

      const page = await t.app.inject({ url: '/gallery', headers: html });
      await t.app.inject({ url: '/gallery', headers: html });

      expect(page.body).toContain('Annotation failed: blocked');
      expect(spy.calls).toBe(calls + 2);
    } finally {
      await t.close();
    }
  });
});
