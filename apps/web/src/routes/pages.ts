import type { ImageRecord, ImageRepository } from '@annot/db';
import { ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, formatBytes, formatMegapixels } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { Permissions } from '../auth/permissions.ts';
import { galleryCacheControl, isAnonymous } from '../plugins/cache-control.ts';
import { actionsView } from '../present/actions.ts';
import { toCard, toImagePage } from '../present/card.ts';
import { FILE_FIELD } from '../upload/receive.ts';
import type { GalleryPageCache, GalleryView } from './gallery-cache.ts';
import {
  cursorSchema,
  type Filters,
  filterProperties,
  InvalidFilterError,
  MAX_ID,
  parseFilters,
} from './schemas.ts';

export interface PagesOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly pageSize: number;
  readonly maxUploadBytes: number;
  readonly maxFilesPerUpload: number;
  readonly maxInputPixels: number;
  /** Rendered gallery pages (GALLERY_CACHE_MS); the upload route invalidates the first page. */
  readonly galleryCache: GalleryPageCache<GalleryPage>;
  readonly permissions: Permissions;
  /** `s-maxage` of an anonymous viewer's gallery page (GALLERY_SHARED_MAX_AGE_SECONDS). */
  readonly sharedMaxAgeSeconds: number;
}

/** Who may change a card's image, and what it can be retried for: kept with the cached page. */
type CardFacts = Pick<ImageRecord, 'id' | 'filename' | 'uploader' | 'thumbnailStatus' | 'annotationStatus'>;

/**
 * A rendered gallery page as the cache keeps it: the same for every viewer. Each card has an
 * `<!--actions:<id>-->` marker where a viewer's buttons go; the page is sent as it is (markers
 * and all) to a viewer who may change none of its images, so the anonymous gallery costs what
 * it did, and the buttons are composed in per viewer otherwise.
 */
export interface GalleryPage {
  readonly html: Buffer;
  readonly cards: readonly CardFacts[];
}

/**
 * A page as the shared cache (Redis) keeps it: the cards' facts as one line of JSON, then the
 * HTML bytes as they are.
 */
export const galleryPageCodec = {
  encode(page: GalleryPage): Buffer {
    return Buffer.concat([Buffer.from(`${JSON.stringify(page.cards)}\n`, 'utf8'), page.html]);
  },
  decode(bytes: Buffer): GalleryPage {
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) throw new Error('no card line');
    const cards = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as CardFacts[];
    return { cards, html: Buffer.from(bytes.subarray(newline + 1)) };
  },
};

const ACTIONS_MARKER = /<!--actions:(\d+)-->/g;
const IMAGE_ID = /^[1-9][0-9]{0,9}$/;

const gallerySchema = {
  querystring: { type: 'object', properties: { cursor: cursorSchema, ...filterProperties } },
} as const;

const cardsSchema = {
  querystring: { type: 'object', properties: filterProperties },
} as const;

/** A gallery URL that keeps the filters: every result set and page has one to share. */
export function galleryUrl(
  filters: { q?: string | null; status?: string | null; tag?: string | null; cursor?: string | null },
  path = '/gallery',
): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.tag) params.set('tag', filters.tag);
  if (filters.cursor) params.set('cursor', filters.cursor);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** The two HTML pages: the upload form and the gallery. */
export const pageRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: PagesOptions }> = async (
  app,
  options,
) => {
  const { permissions } = options;
  const limits = {
    field: FILE_FIELD,
    // In the units every refusal message uses: "50 MiB", "60 megapixels".
    maxUpload: formatBytes(options.maxUploadBytes),
    maxPixels: formatMegapixels(options.maxInputPixels),
    maxFiles: options.maxFilesPerUpload,
    formats: ACCEPTED_NAMES,
    accept: ACCEPT_ATTRIBUTE,
  };

  app.get('/', async (request, reply) => {
    // The page uploads each file in its own request, several at once: the browser gets its
    // uploader id here, before them, so that all its uploads carry the same one.
    const uploader = permissions.uploaderFor(request);
    if (uploader.isNew) uploader.remember(reply);
    return reply.viewAsync('upload', { page: 'upload', limits });
  });

  /** One page of cards: the gallery and its live fragment show the same cards. */
  async function renderCards(
    request: FastifyRequest,
    filters: Filters,
    cursor: string | null,
    template: (cards: unknown[], nextCursor: string | null) => Promise<string>,
  ): Promise<GalleryPage> {
    // One indexed keyset query (a full-text one with `q`); the image URLs come from the adapter's
    // cache. Uploads still receiving their bytes are not shown (storedOnly): not processing yet.
    const page = await options.repository.listPage({
      limit: options.pageSize,
      cursor,
      storedOnly: true,
      search: filters.search,
      status: filters.status,
      tag: filters.tag,
      // The cached first pages (which an upload invalidates) read the primary: rendered from a
      // replica a moment behind, the page cached right after an upload could miss it until it
      // expires. Older pages and searches read the replica, when there is one.
      from: cursor === null && filters.search === null && filters.tag === null ? 'primary' : 'replica',
    });
    const cards = await Promise.all(
      page.images.map((record) => toCard(record, options.storage, request.log)),
    );
    const html = await template(cards, page.nextCursor);
    return {
      html: Buffer.from(html, 'utf8'),
      cards: page.images.map(({ id, filename, uploader, thumbnailStatus, annotationStatus }) => ({
        id,
        filename,
        uploader,
        thumbnailStatus,
        annotationStatus,
      })),
    };
  }

  /** Cached unless it is a search or a tag (the users' own values: see GalleryView for why). */
  function cached(
    view: GalleryView,
    filters: Filters,
    render: () => Promise<GalleryPage>,
  ): Promise<GalleryPage> {
    if (filters.search !== null || filters.tag !== null) return render();
    return options.galleryCache.page(view, render);
  }

  /**
   * The shared rendering with this viewer's buttons composed in. A viewer who may change none of
   * its images gets the cached bytes as they are.
   */
  async function forViewer(request: FastifyRequest, page: GalleryPage): Promise<Buffer | string> {
    const viewer = permissions.viewer(request);
    const buttons = new Map<number, string>();
    if (viewer.kind !== 'stranger') {
      for (const card of page.cards) {
        const actions = actionsView(card, permissions.allowed(viewer, card), '');
        if (actions) buttons.set(card.id, await app.view('partials/actions', { actions }));
      }
    }
    if (buttons.size === 0) return page.html;
    return page.html
      .toString('utf8')
      .replace(ACTIONS_MARKER, (marker, id: string) => buttons.get(Number(id)) ?? marker);
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
        tag: request.query.tag?.trim() ?? '',
        tagClearUrl: galleryUrl({ q: request.query.q, status: request.query.status }),
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
    const page = await cached(view, filters, () =>
      renderCards(request, filters, cursor, (cards, nextCursor) => {
        const shown = { q: filters.search, status: filters.status, tag: filters.tag };
        return app.view('gallery', {
          page: 'gallery',
          cards,
          q: filters.search ?? '',
          status: filters.status ?? '',
          tag: filters.tag ?? '',
          // The same results without the tag.
          tagClearUrl: galleryUrl({ q: filters.search, status: filters.status }),
          filtered: filters.search !== null || filters.status !== null || filters.tag !== null,
          problem: null,
          isFirstPage: cursor === null,
          newestUrl: cursor === null ? null : galleryUrl(shown),
          olderUrl: nextCursor ? galleryUrl({ ...shown, cursor: nextCursor }) : null,
          // The first page follows new uploads (gallery.js polls its cards).
          liveUrl: cursor === null ? galleryUrl(shown, '/gallery/cards') : null,
        });
      }),
    );
    // A page with a viewer's buttons is theirs alone; an anonymous one is everyone's (cache-control.ts).
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', galleryCacheControl(isAnonymous(request), options.sharedMaxAgeSeconds));
    return reply.send(await forViewer(request, page));
  });

  // The image's own page. Not cached: it shows this viewer's actions, and is one indexed read.
  app.get('/images/:id', async (request, reply) => {
    const { id: raw } = request.params as { id: string };
    const id = IMAGE_ID.test(raw) ? Number(raw) : Number.NaN;
    const record = id <= MAX_ID ? await options.repository.getById(id) : null;
    reply.header('cache-control', 'private, no-cache');
    if (!record || record.byteSize === null) {
      return reply.code(404).viewAsync('error', {
        title: 'Not found',
        status: 404,
        message: 'There is no image here. It may have been deleted, or the link is wrong.',
      });
    }
    const image = await toImagePage(record, options.storage, request.log);
    const viewer = permissions.viewer(request);
    const actions = actionsView(record, permissions.allowed(viewer, record), '/gallery');
    return reply.viewAsync('image', { page: 'image', image, actions });
  });

  // The live gallery's fragment: the first page's cards, by the same partial as the page, with
  // this viewer's buttons, for gallery.js to merge new uploads in from. A bad filter is a 400.
  app.get('/gallery/cards', { schema: cardsSchema }, async (request, reply) => {
    const filters = parseFilters(request.query);
    const view = { part: 'cards', status: filters.status, cursor: null } as const;
    const page = await cached(view, filters, () =>
      renderCards(request, filters, null, (cards) => app.view('cards', { cards })),
    );
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return reply.send(await forViewer(request, page));
  });
};
