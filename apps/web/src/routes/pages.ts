import type { ImageRepository } from '@annot/db';
import { ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, formatBytes, formatMegapixels } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { toCard } from '../present/card.ts';
import { FILE_FIELD } from '../upload/receive.ts';
import type { GalleryCache, GalleryView } from './gallery-cache.ts';
import { cursorSchema, type Filters, filterProperties, InvalidFilterError, parseFilters } from './schemas.ts';

export interface PagesOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly pageSize: number;
  readonly maxUploadBytes: number;
  readonly maxFilesPerUpload: number;
  readonly maxInputPixels: number;
  /** Rendered gallery pages (GALLERY_CACHE_MS); the upload route invalidates the first page. */
  readonly galleryCache: GalleryCache;
}

const gallerySchema = {
  querystring: { type: 'object', properties: { cursor: cursorSchema, ...filterProperties } },
} as const;

const cardsSchema = {
  querystring: { type: 'object', properties: filterProperties },
} as const;

/** A gallery URL that keeps the filters: every result set and page has one to share. */
export function galleryUrl(
  filters: { q?: string | null; status?: string | null; cursor?: string | null },
  path = '/gallery',
): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.cursor) params.set('cursor', filters.cursor);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** The two HTML pages: the upload form and the gallery. */
export const pageRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: PagesOptions }> = async (
  app,
  options,
) => {
  const limits = {
    field: FILE_FIELD,
    // In the units every refusal message uses: "50 MiB", "60 megapixels".
    maxUpload: formatBytes(options.maxUploadBytes),
    maxPixels: formatMegapixels(options.maxInputPixels),
    maxFiles: options.maxFilesPerUpload,
    formats: ACCEPTED_NAMES,
    accept: ACCEPT_ATTRIBUTE,
  };

  app.get('/', async (_request, reply) => reply.viewAsync('upload', { page: 'upload', limits }));

  /** One page of cards, rendered: the gallery and its live fragment show the same cards. */
  async function cardsOf(request: FastifyRequest, filters: Filters, cursor: string | null) {
    // One indexed keyset query (a full-text one with `q`); the image URLs come from the adapter's
    // cache. Uploads still receiving their bytes are not shown (storedOnly): not processing yet.
    const page = await options.repository.listPage({
      limit: options.pageSize,
      cursor,
      storedOnly: true,
      search: filters.search,
      status: filters.status,
    });
    const cards = await Promise.all(
      page.images.map((record) => toCard(record, options.storage, request.log)),
    );
    return { cards, nextCursor: page.nextCursor };
  }

  /** Cached unless it is a search (see GalleryView for why). */
  function cached(view: GalleryView, filters: Filters, render: () => Promise<string>): Promise<Buffer> {
    if (filters.search !== null) return render().then((html) => Buffer.from(html, 'utf8'));
    return options.galleryCache.page(view, render);
  }

  app.get('/gallery', { schema: gallerySchema }, async (request, reply) => {
    const cursor = request.query.cursor ?? null;
    const q = request.query.q ?? '';
    let filters: Filters;
    try {
      filters = parseFilters(request.query);
    } catch (error) {
      if (!(error instanceof InvalidFilterError)) throw error;
      // The page itself, with the form as it was sent and what to change: not an error page.
      reply.code(400);
      return reply.viewAsync('gallery', {
        page: 'gallery',
        cards: [],
        q,
        status: request.query.status ?? '',
        filtered: true,
        problem: error.message,
        isFirstPage: true,
        newestUrl: null,
        olderUrl: null,
        liveUrl: null,
      });
    }
    // Rendered at most once per GALLERY_CACHE_MS, status and cursor in this process (gallery-cache.ts).
    const view = { part: 'page', status: filters.status, cursor } as const;
    const html = await cached(view, filters, async () => {
      const { cards, nextCursor } = await cardsOf(request, filters, cursor);
      const shown = { q: filters.search, status: filters.status };
      return app.view('gallery', {
        page: 'gallery',
        cards,
        q: filters.search ?? '',
        status: filters.status ?? '',
        filtered: filters.search !== null || filters.status !== null,
        problem: null,
        isFirstPage: cursor === null,
        newestUrl: cursor === null ? null : galleryUrl(shown),
        olderUrl: nextCursor ? galleryUrl({ ...shown, cursor: nextCursor }) : null,
        // The first page follows new uploads (gallery.js polls its cards).
        liveUrl: cursor === null ? galleryUrl(shown, '/gallery/cards') : null,
      });
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  // The live gallery's fragment: the first page's cards, by the same partial as the page, for
  // gallery.js to merge new uploads in from. A bad filter is a 400 (JSON or the error page).
  app.get('/gallery/cards', { schema: cardsSchema }, async (request, reply) => {
    const filters = parseFilters(request.query);
    const view = { part: 'cards', status: filters.status, cursor: null } as const;
    const html = await cached(view, filters, async () => {
      const { cards } = await cardsOf(request, filters, null);
      return app.view('cards', { cards });
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });
};
