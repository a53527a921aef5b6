import type { ImageRecord, ImageRepository } from '@annot/db';
import { ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, formatBytes, formatMegapixels } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Permissions } from '../auth/permissions.ts';
import { actionsView } from '../present/actions.ts';
import { toCard, toImagePage } from '../present/card.ts';
import { FILE_FIELD } from '../upload/receive.ts';
import type { GalleryCache } from './gallery-cache.ts';
import { cursorSchema, MAX_ID } from './schemas.ts';

export interface PagesOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly pageSize: number;
  readonly maxUploadBytes: number;
  readonly maxFilesPerUpload: number;
  readonly maxInputPixels: number;
  /** Rendered gallery pages (GALLERY_CACHE_MS); the upload route invalidates the first page. */
  readonly galleryCache: GalleryCache<GalleryPage>;
  readonly permissions: Permissions;
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

const ACTIONS_MARKER = /<!--actions:(\d+)-->/g;
const IMAGE_ID = /^[1-9][0-9]{0,9}$/;

const gallerySchema = {
  querystring: { type: 'object', properties: { cursor: cursorSchema } },
} as const;

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

  app.get('/gallery', { schema: gallerySchema }, async (request, reply) => {
    const cursor = request.query.cursor ?? null;
    // Rendered at most once per GALLERY_CACHE_MS and cursor in this process (gallery-cache.ts).
    const page = await options.galleryCache.page(cursor, async () => {
      // One indexed keyset query; the image URLs come from the adapter's cache.
      // Uploads still receiving their bytes are not shown (storedOnly): they are not processing yet.
      const page = await options.repository.listPage({ limit: options.pageSize, cursor, storedOnly: true });
      const cards = await Promise.all(
        page.images.map((record) => toCard(record, options.storage, request.log)),
      );
      const html = await app.view('gallery', {
        page: 'gallery',
        cards,
        nextCursor: page.nextCursor,
        isFirstPage: cursor === null,
      });
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
    });
    // The page differs by viewer (their buttons): no shared cache may keep it.
    reply.type('text/html; charset=utf-8').header('cache-control', 'private, no-cache');
    const viewer = permissions.viewer(request);
    const buttons = new Map<number, string>();
    if (viewer.kind !== 'stranger') {
      for (const card of page.cards) {
        const actions = actionsView(card, permissions.allowed(viewer, card), '');
        if (actions) buttons.set(card.id, await app.view('partials/actions', { actions }));
      }
    }
    if (buttons.size === 0) return reply.send(page.html);
    const html = page.html
      .toString('utf8')
      .replace(ACTIONS_MARKER, (marker, id: string) => buttons.get(Number(id)) ?? marker);
    return reply.send(html);
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
};
