import { InvalidObjectKeyError, ObjectNotFoundError, type ObjectStore, type Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';

/** Keys are unique per upload and never rewritten, so a served object never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const fileSchema = {
  params: {
    type: 'object',
    properties: { bucket: { type: 'string', maxLength: 63 }, '*': { type: 'string', maxLength: 1024 } },
    required: ['bucket', '*'],
  },
} as const;

/**
 * GET /files/:bucket/<key>: serves objects of the directory adapter (S3 objects are fetched
 * from presigned URLs instead). The key goes through the store's own path validation, which
 * refuses anything that could escape the bucket's directory ("..", absolute paths, backslashes,
 * control characters), so a hostile key is a 404 and never a file outside it.
 */
export const filesRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: { storage: Storage } }> = async (
  app,
  options,
) => {
  const stores = new Map<string, ObjectStore>([
    [options.storage.originals.bucket, options.storage.originals],
    [options.storage.thumbnails.bucket, options.storage.thumbnails],
  ]);

  app.get('/files/:bucket/*', { schema: fileSchema }, async (request, reply) => {
    const store = stores.get(request.params.bucket);
    if (!store) return reply.callNotFound();
    // Fastify destroys the body stream if the client goes away mid-response.
    let object: Awaited<ReturnType<ObjectStore['get']>>;
    try {
      object = await store.get(request.params['*']);
    } catch (error) {
      // No such object, or a key no object can have: either way there is nothing here.
      if (error instanceof ObjectNotFoundError || error instanceof InvalidObjectKeyError) {
        return reply.callNotFound();
      }
      throw error;
    }
    return reply
      .header('content-type', object.info.contentType ?? 'application/octet-stream')
      .header('content-length', object.info.size)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', IMMUTABLE)
      .header('content-security-policy', "default-src 'none'; sandbox")
      .send(object.body);
  });
};
