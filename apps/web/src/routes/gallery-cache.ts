import type { Status } from '@annot/db';
import { LRUCache } from 'lru-cache';

/**
 * Which rendering: the whole page, or only its cards (the live gallery's fragment), of one status
 * filter (null: all) at one cursor (null: the first page). Searches (`q`) are never cached: their
 * values are the users' own, so they would fill the cache with pages nobody asks for again and
 * push out the few pages everyone asks for. Without `q` there are at most 2 x 4 first pages, and
 * the LRU's cap bounds the rest (cursors).
 */
export interface GalleryView {
  readonly part: 'page' | 'cards';
  readonly status: Status | null;
  readonly cursor: string | null;
}

/** The first page has no cursor; no cursor the schema accepts is empty, so '' names it. */
const FIRST_PAGE = '';
export const keyOf = (view: GalleryView) => `${view.part}|${view.status ?? ''}|${view.cursor ?? FIRST_PAGE}`;
const isFirstPage = (key: string) => key.endsWith(`|${FIRST_PAGE}`);

/**
 * Where rendered gallery pages are kept: this process's memory (GalleryCache), or Redis shared by
 * every web process (SharedGalleryCache, with REDIS_URL). The routes see only this.
 */
export interface GalleryPageCache<Page> {
  page(view: GalleryView, render: () => Promise<Page>): Promise<Page>;
  /** After an upload: the first pages must be rendered again (everywhere, for a shared cache). */
  invalidateFirstPage(): void | Promise<void>;
  /** After a delete or a retry: every page must be rendered again. */
  invalidateAll(): void | Promise<void>;
  close?(): Promise<void>;
}

/** Most pages kept per process: a page is ~40-60 KB, so at most a few MB. */
const MAX_PAGES = 100;

export interface GalleryCacheOptions {
  /** How long a rendered page is reused (GALLERY_CACHE_MS); 0 renders every request. */
  readonly ttlMs: number;
  readonly maxPages?: number;
  /** The clock ttlMs is measured on, in ms (performance.now by default); tests step their own. */
  readonly clock?: { now(): number };
}

/**
 * Rendered gallery pages, each reused for ttlMs, per cursor. Under load this turns the database
 * query, the cards and the template into one render per second and page instead of one per
 * request. The price is that a page can be up to ttlMs old: the page's own polling of
 * /api/images/status (never cached) keeps pending cards live, and `invalidateFirstPage` makes a
 * new upload show at once on the process that accepted it.
 *
 * Single flight: concurrent requests for a page not in the cache wait for one render. The render
 * is cached from its start (as a promise), so ttlMs counts from the database read; a render that
 * fails is dropped, so the next request tries again and nobody is served a cached error.
 *
 * The page is kept as UTF-8 bytes: every response then writes the same buffer, instead of
 * encoding a 50 KB string again for each one.
 */
export class GalleryCache<Page = Buffer> implements GalleryPageCache<Page> {
  readonly #pages: LRUCache<string, Promise<Page>> | null;

  constructor(options: GalleryCacheOptions) {
    this.#pages =
      options.ttlMs > 0
        ? new LRUCache<string, Promise<Page>>({
            max: options.maxPages ?? MAX_PAGES,
            ttl: options.ttlMs,
            // A given clock is read on every look-up (lru-cache otherwise reuses a reading for 1 ms).
            ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
          })
        : null;
  }

  /**
   * The view, rendered by `render` unless a fresh one is cached. What is cached must be the same
   * for every viewer (the routes compose each viewer's buttons in).
   */
  page(view: GalleryView, render: () => Promise<Page>): Promise<Page> {
    const rendering = render;
    const pages = this.#pages;
    if (!pages) return rendering();
    const key = keyOf(view);
    const cached = pages.get(key);
    if (cached) return cached;
    const fresh = rendering();
    pages.set(key, fresh);
    fresh.catch(() => {
      // Only this render's entry: an invalidation may already have replaced it with a newer one.
      if (pages.peek(key) === fresh) pages.delete(key);
    });
    return fresh;
  }

  /**
   * Forgets the first pages (and their card fragments, of every status filter), so the next
   * request renders them again: called once an upload has been accepted, so the uploader sees the
   * new image on the page they are sent to. A render already under way may predate the upload;
   * its waiters get it, but it is no longer cached.
   */
  invalidateFirstPage(): void {
    const pages = this.#pages;
    if (!pages) return;
    for (const key of [...pages.keys()]) if (isFirstPage(key)) pages.delete(key);
  }

  /** Forgets every page: an image was deleted or retried, and may be on any of them. */
  invalidateAll(): void {
    this.#pages?.clear();
  }

  /** Pages cached now (for tests). */
  get size(): number {
    return this.#pages?.size ?? 0;
  }
}
