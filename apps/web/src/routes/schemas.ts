import { InvalidSearchError, type Status, searchWords } from '@annot/db';
import type { FromSchema } from 'json-schema-to-ts';

/**
 * JSON schemas of the API. Fastify validates requests with them (a bad parameter is a 400 that
 * names it, never a 500) and serialises responses with them (fast-json-stringify), and the routes'
 * TypeScript types are derived from them (the json-schema-to-ts type provider; the schemas are
 * `as const` for that). Response objects say `additionalProperties: false`, which is what
 * fast-json-stringify does anyway (it writes only the listed properties), so that the derived
 * types are exact.
 */

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const status = { type: 'string', enum: ['pending', 'completed', 'failed'] } as const;

/** Database ids are positive 32-bit integers (MySQL INT AUTO_INCREMENT). */
export const MAX_ID = 2_147_483_647;
/** Most ids one status poll may ask for; the gallery polls at most one page. */
export const MAX_STATUS_IDS = 100;
/** "1,2,3": up to MAX_STATUS_IDS positive integers; the schema checks the shape, `parseIds` the count. */
export const idsQuerySchema = {
  type: 'object',
  properties: {
    ids: { type: 'string', pattern: '^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9})*$', maxLength: MAX_STATUS_IDS * 11 },
  },
  required: ['ids'],
  additionalProperties: false,
} as const;

/**
 * The distinct ids of an `ids` query that passed idsQuerySchema, or the message of its 400: the
 * status poll and the status stream take the same list.
 */
export function parseIds(ids: string): { ids: number[] } | { message: string } {
  const distinct = [...new Set(ids.split(',').map(Number))];
  if (distinct.length > MAX_STATUS_IDS) {
    return { message: `querystring/ids lists ${distinct.length} ids; at most ${MAX_STATUS_IDS} are allowed` };
  }
  if (distinct.some((id) => id > MAX_ID)) return { message: `querystring/ids: ids are at most ${MAX_ID}` };
  return { ids: distinct };
}

/** Largest page the API serves. */
export const MAX_API_LIMIT = 100;

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    requestId: { type: 'string' },
  },
  required: ['error', 'message'],
  additionalProperties: false,
} as const;

/** The annotation's structure, all machine-made (the annotator's). */
const machineProperties = {
  /** The annotator's tags, most confident first; [] when it gave none. */
  tags: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        label: { type: 'string' },
        confidence: { type: 'number' },
        source: { type: 'string' },
      },
      required: ['label', 'confidence', 'source'],
      additionalProperties: false,
    },
  },
  /** Text the annotator read in the image; null when it found none. */
  textInImage: nullableString,
  /** The annotator's content-safety flag; null when it gave none. */
  safety: { type: ['string', 'null'], enum: ['safe', 'sensitive', null] },
} as const;

export const imageSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    filename: { type: 'string' },
    annotation: nullableString,
    annotationStatus: status,
    thumbnailStatus: status,
    annotationError: nullableString,
    thumbnailError: nullableString,
    uploadedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    thumbnailUrl: nullableString,
    originalUrl: nullableString,
    annotator: nullableString,
    model: nullableString,
    contentType: nullableString,
    byteSize: nullableInteger,
    width: nullableInteger,
    height: nullableInteger,
    ...machineProperties,
  },
  required: [
    'id',
    'filename',
    'annotationStatus',
    'thumbnailStatus',
    'uploadedAt',
    'updatedAt',
    'tags',
    'textInImage',
    'safety',
  ],
  additionalProperties: false,
} as const;

/** One image as the API shows it (GET /api/images, GET /api/images/:id). */
export type ImageJson = FromSchema<typeof imageSchema>;

export const statusSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    annotationStatus: status,
    thumbnailStatus: status,
    annotationError: nullableString,
    thumbnailError: nullableString,
    thumbnailUrl: nullableString,
    annotation: nullableString,
    ...machineProperties,
    updatedAt: { type: 'string' },
  },
  required: ['id', 'annotationStatus', 'thumbnailStatus', 'tags', 'textInImage', 'safety'],
  additionalProperties: false,
} as const;

/** What the gallery polls (GET /api/images/status). */
export type StatusJson = FromSchema<typeof statusSchema>;

/** Cursors are opaque to clients; the repository decodes and checks them. */
export const cursorSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const uploadedSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    filename: { type: 'string' },
    annotationStatus: status,
    thumbnailStatus: status,
    /** True when the bytes were already in the library: this is that image, nothing new was stored. */
    duplicate: { type: 'boolean' },
  },
  required: ['id', 'filename', 'annotationStatus', 'thumbnailStatus', 'duplicate'],
  additionalProperties: false,
} as const;

export const refusedSchema = {
  type: 'object',
  properties: {
    filename: { type: 'string' },
    status: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['filename', 'status', 'error', 'message'],
  additionalProperties: false,
} as const;

/** `q`, `status` and `tag`, as the API and the gallery take them (plain strings; see parseFilters). */
export const filterProperties = {
  q: { type: 'string' },
  status: { type: 'string' },
  tag: { type: 'string' },
} as const;

/** Longest tag label (the database's image_tags.label). */
export const MAX_TAG_LENGTH = 64;

const STATUSES: readonly Status[] = ['pending', 'failed', 'completed'];

/** A filter the user gave that cannot be used: a 400 with this message. */
export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
  readonly statusCode = 400;
}

export interface Filters {
  /** The raw `q`, known to hold a word to search for; null: no search. */
  readonly search: string | null;
  readonly status: Status | null;
  /** An exact tag label, trimmed and lowercased as labels are stored; null: no tag filter. */
  readonly tag: string | null;
}

/**
 * The one reading of `q`, `status` and `tag`. A blank `q`, `status` or `tag` is no filter (an
 * empty search box submits `q=`); a `q` with no word to search for (see searchWords in
 * @annot/db), or too long, a status other than pending, failed or completed, and a tag longer than
 * a label can be, throw InvalidFilterError.
 */
export function parseFilters(query: { q?: string; status?: string; tag?: string }): Filters {
  const q = query.q?.trim() ? query.q : null;
  if (q !== null) {
    try {
      searchWords(q);
    } catch (error) {
      if (error instanceof InvalidSearchError) throw new InvalidFilterError(error.message);
      throw error;
    }
  }
  const raw = query.status?.trim() ?? '';
  if (raw !== '' && !STATUSES.includes(raw as Status)) {
    throw new InvalidFilterError(
      `There is no status “${raw.slice(0, 30)}”: choose pending, failed or completed.`,
    );
  }
  const tag = query.tag?.trim().toLowerCase() ?? '';
  if (Array.from(tag).length > MAX_TAG_LENGTH) {
    throw new InvalidFilterError(`A tag is at most ${MAX_TAG_LENGTH} characters long.`);
  }
  return { search: q, status: raw === '' ? null : (raw as Status), tag: tag === '' ? null : tag };
}
