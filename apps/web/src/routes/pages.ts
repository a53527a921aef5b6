import type { ImageRepository } from '@annot/db';
import { ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, formatBytes, formatMegapixels } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { toCard } from '../present/card.ts';
import { FILE_FIELD } from '../upload/receive.ts';
import type { GalleryCache } from './gallery-cache.ts';
import { cursorSchema } from './schemas.ts';

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
  querystring: { type: 'object', properties: { cursor: cursorSchema } },
} as const;

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

  app.get('/gallery', { schema: gallerySchema }, async (request, reply) => {
    const cursor = request.query.cursor ?? null;
    // Rendered at most once per GALLERY_CACHE_MS and cursor in this process (gallery-cache.ts).
    const html = await options.galleryCache.page(cursor, async () => {
      // One indexed keyset query; the image URLs come from the adapter's cache.
      // Uploads still receiving their bytes are not shown (storedOnly): they are not processing yet.
      const page = await options.repository.listPage({ limit: options.pageSize, cursor, storedOnly: true });
      const cards = await Promise.all(
        page.images.map((record) => toCard(record, options.storage, request.log)),
      );
      return app.view('gallery', {
        page: 'gallery',
        cards,
        nextCursor: page.nextCursor,
        isFirstPage: cursor === null,
      });
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });
};
