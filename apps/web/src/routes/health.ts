import type { ImageRepository } from '@annot/db';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';

/** The ALB's health check must not hang on a stuck database: it waits this long at most. */
const PING_TIMEOUT_MS = 2000;

const health = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] } },
  required: ['status'],
  additionalProperties: false,
} as const;

const healthSchema = { response: { 200: health, 503: health } } as const;

/** GET /health: 200 when the database answers a trivial query, 503 when it does not. */
export const healthRoutes: FastifyPluginAsyncJsonSchemaToTs<{
  Options: { repository: ImageRepository };
}> = async (app, options) => {
  app.get('/health', { schema: healthSchema }, async (request, reply) => {
    try {
      await pingWithin(options.repository, PING_TIMEOUT_MS);
      return { status: 'ok' } as const;
    } catch (error) {
      request.log.warn({ err: error }, 'health check: database does not answer');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
};

async function pingWithin(repository: ImageRepository, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database ping took longer than ${ms} ms`)), ms);
  });
  try {
    await Promise.race([repository.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
