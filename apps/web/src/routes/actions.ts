import type { ImageRecord, ImageRepository, Stage } from '@annot/db';
import { thumbnailKeyFor } from '@annot/object-keys';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permissions } from '../auth/permissions.ts';
import { type RequestStage, StageRequestError } from '../events/request-stage.ts';
import { imageJson } from '../present/image-json.ts';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';
import { errorSchema, imageSchema, MAX_ID } from './schemas.ts';

export interface ActionOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly permissions: Permissions;
  readonly requestStage: RequestStage;
  /** Called once an image has changed (deleted, or sent back to pending): cached pages are stale. */
  readonly onChanged?: () => void | Promise<void>;
}

const STAGES = ['thumbnail', 'annotation'] as const satisfies readonly Stage[];

const idParams = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1, maximum: MAX_ID } },
  required: ['id'],
} as const;

const deleteSchema = {
  params: idParams,
  response: { 204: { type: 'null' }, '4xx': errorSchema, '5xx': errorSchema },
} as const;

const retrySchema = {
  params: idParams,
  body: {
    type: 'object',
    properties: { stage: { type: 'string', enum: STAGES } },
    additionalProperties: false,
  },
  response: { 202: imageSchema, '4xx': errorSchema, '5xx': errorSchema },
} as const;

export const RETRY_NOT_SENT =
  'The workers could not be reached just now, so nothing was retried; try again in a moment.';

/**
 * DELETE /api/images/:id and POST /api/images/:id/retry, for the image's uploader's browser and
 * the operator (auth/permissions.ts decides).
 */
export const actionRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: ActionOptions }> = async (
  app,
  options,
) => {
  const { repository, storage, permissions } = options;

  /** The image, when this request may change it; otherwise the reply is sent (404 or 403). */
  async function authorised(request: FastifyRequest, reply: FastifyReply, id: number) {
    const record = await repository.getById(id);
    if (!record) {
      await reply.code(404).send({ error: 'not_found', message: `No image with id ${id}` });
      return null;
    }
    const decision = permissions.authorise(request, record);
    if (!decision.allowed) {
      request.log.info({ id, refused: decision.message }, 'image change refused');
      await reply.code(403).send({ error: 'forbidden', message: decision.message });
      return null;
    }
    return record;
  }

  app.delete('/api/images/:id', { schema: deleteSchema }, async (request, reply) => {
    const record = await authorised(request, reply, request.params.id);
    if (!record) return reply;
    await deleteImage(record, repository, storage);
    await options.onChanged?.();
    request.log.info({ id: record.id, key: record.originalKey }, 'image deleted');
    return reply.code(204).send(null);
  });

  app.post(
    '/api/images/:id/retry',
    { schema: retrySchema, preValidation: checkRetryBody },
    async (request, reply) => {
      const record = await authorised(request, reply, request.params.id);
      if (!record) return reply;
      const stages: Stage[] = request.body?.stage ? [request.body.stage] : [...STAGES];
      const outcome = await repository.retryStages(record.id, stages);
      if (outcome.outcome === 'missing') {
        return reply.code(404).send({ error: 'not_found', message: `No image with id ${record.id}` });
      }
      if (outcome.outcome === 'busy') {
        return reply.code(409).send({
          error: 'conflict',
          message: `The ${outcome.stage} of this image is still being made; retry it once it has finished.`,
        });
      }
      await options.onChanged?.();
      const sent: Stage[] = [];
      try {
        for (const stage of stages) {
          await options.requestStage(record.originalKey, stage);
          sent.push(stage);
        }
      } catch (error) {
        // Not sent: the stages that did not go out get back what they had, so the image is as it
        // was and the same retry can be asked for again (a pending stage would answer 409).
        request.log.warn({ err: error, id: record.id, stages, sent }, 'retry not delivered; undone');
        for (const stage of stages) {
          if (!sent.includes(stage)) await repository.undoRetry(record, stage);
        }
        await options.onChanged?.();
        // Not retryable: no worker can be reached from here at all (a server without workers, an
        // original no longer stored); the reason is said as it is.
        if (error instanceof StageRequestError && !error.retryable) {
          return reply.code(503).send({ error: 'unavailable', message: error.message });
        }
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send({ error: 'unavailable', message: RETRY_NOT_SENT });
      }
      request.log.info({ id: record.id, stages }, 'retry requested');
      return reply.code(202).send(await imageJson(outcome.record, storage, request.log));
    },
  );
};

/**
 * No body means both stages; a body may name one stage and nothing else. (The schema alone
 * cannot refuse unknown fields: Fastify's validator removes them.)
 */
async function checkRetryBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.body === undefined) {
    request.body = {};
    return;
  }
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const unknown = Object.keys(body).find((key) => key !== 'stage');
  if (unknown !== undefined) {
    await reply.code(400).send({
      error: 'invalid_request',
      message: `body/${unknown.slice(0, 50)} is not a field of a retry: send {"stage":"thumbnail"}, {"stage":"annotation"}, or no body for both`,
    });
  }
}

/**
 * Deletes an image so that nothing comes back and nothing is left behind, in an order where
 * every failure leaves what a repeated DELETE finishes (the row goes last but one, so the image
 * is still found and still authorised until its objects are gone):
 * 0. its content hash: from now on an upload of the same bytes is a new image, never answered
 *    as a duplicate of this one (whose original may already be gone);
 * 1. the original: a worker that has not read it yet fails to, and records nothing lasting;
 * 2. the thumbnail, as far as one exists yet;
 * 3. the row: from now on every worker write finds no row, and a thumbnailer that stores its
 *    thumbnail after this discards it itself (the stage runner's withdrawn-upload rule);
 * 4. the thumbnail again: one a worker stored between 2 and 3 (whose row write found the row).
 * Storage's `delete` removes every version of the key. A failing step throws, and the error
 * handler answers 503 when a dependency did not answer.
 */
export async function deleteImage(
  record: ImageRecord,
  repository: ImageRepository,
  storage: Storage,
): Promise<void> {
  // The key a thumbnailer writes, and the recorded one should it ever differ.
  const thumbnails = [...new Set([thumbnailKeyFor(record.originalKey), record.thumbnailKey ?? ''])];
  const deleteThumbnails = () =>
    Promise.all(thumbnails.filter((key) => key !== '').map((key) => storage.thumbnails.delete(key)));
  await repository.releaseContent(record.id);
  await storage.originals.delete(record.originalKey);
  await deleteThumbnails();
  await repository.deleteById(record.id);
  await deleteThumbnails();
}
