import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { imageJson, statusJson } from '../present/image-json.ts';
import {
  cursorSchema,
  errorSchema,
  filterProperties,
  idsQuerySchema,
  imageSchema,
  MAX_API_LIMIT,
  MAX_ID,
  parseFilters,
  parseIds,
  statusSchema,
} from './schemas.ts';

export interface ApiOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly pageSize: number;
}

const listSchema = {
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: MAX_API_LIMIT },
      cursor: cursorSchema,
      ...filterProperties,
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        images: { type: 'array', items: imageSchema },
        nextCursor: { type: ['string', 'null'] },
      },
      required: ['images', 'nextCursor'],
      additionalProperties: false,
    },
    '4xx': errorSchema,
  },
} as const;

const statusesSchema = {
  querystring: idsQuerySchema,
  response: {
    200: {
      type: 'object',
      properties: { images: { type: 'array', items: statusSchema } },
      required: ['images'],
      additionalProperties: false,
    },
    '4xx': errorSchema,
  },
} as const;

const oneSchema = {
  params: {
    type: 'object',
    properties: { id: { type: 'integer', minimum: 1, maximum: MAX_ID } },
    required: ['id'],
  },
  response: { 200: imageSchema, '4xx': errorSchema },
} as const;

/** The JSON API: a page of images, one image, and the statuses the gallery polls. */
export const apiImagesRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: ApiOptions }> = async (
  app,
  options,
) => {
  const { repository, storage } = options;

  app.get('/api/images', { schema: listSchema }, async (request) => {
    const limit = request.query.limit ?? Math.min(options.pageSize, MAX_API_LIMIT);
    const { search, status, tag } = parseFilters(request.query);
    // As the gallery: not the uploads still receiving their bytes.
    const page = await repository.listPage({
      limit,
      cursor: request.query.cursor ?? null,
      storedOnly: true,
      search,
      status,
      tag,
    });
    const images = await Promise.all(page.images.map((record) => imageJson(record, storage, request.log)));
    return { images, nextCursor: page.nextCursor };
  });

  app.get('/api/images/status', { schema: statusesSchema }, async (request, reply) => {
    const parsed = parseIds(request.query.ids);
    if ('message' in parsed)
      return reply.code(400).send({ error: 'invalid_request', message: parsed.message });
    const statuses = await repository.statuses(parsed.ids);
    return {
      images: await Promise.all(statuses.map((status) => statusJson(status, storage, request.log))),
    };
  });

  app.get('/api/images/:id', { schema: oneSchema }, async (request, reply) => {
    const record = await repository.getById(request.params.id);
    if (!record) {
      return reply.code(404).send({ error: 'not_found', message: `No image with id ${request.params.id}` });
    }
    return imageJson(record, storage, request.log);
  });
};
