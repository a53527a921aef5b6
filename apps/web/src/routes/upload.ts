import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import multipart, { type FastifyMultipartOptions } from '@fastify/multipart';
import type {
  FastifyPluginAsyncJsonSchemaToTs,
  JsonSchemaToTsProvider,
} from '@fastify/type-provider-json-schema-to-ts';
import type {
  ContextConfigDefault,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { Permissions } from '../auth/permissions.ts';
import { wantsHtml } from '../plugins/negotiate.ts';
import { RETRY_AFTER_SECONDS, ShuttingDownError } from '../unavailable.ts';
import { watchBodyIdle } from '../upload/idle-body.ts';
import type { InFlightUploads } from '../upload/in-flight.ts';
import { FILE_FIELD, type FileOutcome, receiveFiles } from '../upload/receive.ts';
import type { UploadReclaimer } from '../upload/reclaim.ts';
import { errorSchema, refusedSchema, uploadedSchema } from './schemas.ts';

export interface UploadRouteOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly limits: AppConfig['limits'];
  /** UPLOAD_MAX_DURATION_MS: an upload request longer than this is ended (408). */
  readonly maxDurationMs: number;
  /** UPLOAD_IDLE_TIMEOUT_MS: a body silent this long ends the upload (408). */
  readonly idleTimeoutMs: number;
  readonly inFlight: InFlightUploads;
  /** Called once a request has stored at least one file, before it is answered. */
  readonly onAccepted?: (() => void | Promise<void>) | undefined;
  readonly reclaimer?: UploadReclaimer | undefined;
  /** Names the uploading browser: its rows record it, and its cookie lets it change them. */
  readonly permissions: Permissions;
}

/** An upload that stored nothing: the error, with every file's refusal when files were judged. */
const failedSchema = {
  ...errorSchema,
  properties: { ...errorSchema.properties, refused: { type: 'array', items: refusedSchema } },
} as const;

/** Files stored or found already stored (`duplicate`), and the refused ones with their reasons. */
const uploadedBodySchema = {
  type: 'object',
  properties: {
    images: { type: 'array', items: uploadedSchema },
    refused: { type: 'array', items: refusedSchema },
  },
  required: ['images', 'refused'],
  additionalProperties: false,
} as const;

const uploadSchema = {
  response: {
    // At least one file was stored as a new image.
    201: uploadedBodySchema,
    // No new image, but at least one file was already in the library (its entry has duplicate: true).
    200: uploadedBodySchema,
    '4xx': failedSchema,
    '5xx': failedSchema,
  },
} as const;

/** POST /upload's reply, its JSON bodies typed from uploadSchema. */
type UploadReply = FastifyReply<
  RouteGenericInterface,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  ContextConfigDefault,
  typeof uploadSchema,
  JsonSchemaToTsProvider
>;

type Accepted = Extract<FileOutcome, { accepted: true }>;
type Refused = Extract<FileOutcome, { accepted: false }>;

/** How POST /upload's body is parsed (@fastify/multipart's options; bench:upload-floor uses them too). */
export function multipartOptions(limits: AppConfig['limits']): FastifyMultipartOptions {
  return {
    // Size is judged per file by the pipeline (413 for that file) rather than thrown for the request.
    throwFileSizeLimit: false,
    // The raw name as sent: our own key derivation (safeFileName) strips paths, and the
    // display name shows exactly what was sent, escaped.
    preservePath: true,
    limits: {
      fileSize: limits.maxUploadBytes,
      files: limits.maxFilesPerUpload,
      fields: 20,
      fieldSize: 1024,
      parts: limits.maxFilesPerUpload + 20,
      headerPairs: 100,
    },
  };
}

/**
 * POST /upload, multipart field "image", one or more files, each judged on its own.
 *
 * A file whose bytes are already in the library is not stored again: its entry in `images` is the
 * existing image with `duplicate: true`.
 *
 * JSON (Accept: application/json): 201 {images, refused} when at least one file was stored as a
 * new image, 200 when none was but at least one was already in the library, the refused ones
 * listed with their reasons; when no file was either, the first refusal's status with
 * {error, message, refused}. A browser form: 303 to /gallery when every file was stored as new,
 * else a page listing what was stored, what was already in the library (with a link to it) and
 * why the others were refused, with the same status as JSON.
 */
export const uploadRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: UploadRouteOptions }> = async (
  app,
  options,
) => {
  const { limits } = options;
  await app.register(multipart, multipartOptions(limits));

  app.post('/upload', { schema: uploadSchema }, async (request, reply) => {
    if (!request.isMultipart()) {
      return reply.code(415).send({
        error: 'unsupported_media_type',
        message: `POST /upload expects multipart/form-data with the files in the field "${FILE_FIELD}"`,
      });
    }
    // Shutdown has begun (app.ts answers the same once the server itself is closing).
    if (options.inFlight.closed) throw new ShuttingDownError('upload');
    const { signal: shutdown, done } = options.inFlight.start();
    const idle = watchBodyIdle(request.raw, options.idleTimeoutMs, options.maxDurationMs);
    // A graceful shutdown's deadline or a client that stops sending, whichever comes first.
    const signal = AbortSignal.any([shutdown, idle.signal]);
    // This browser's id (kept when its cookie is valid, new otherwise), on every row it creates.
    const uploader = options.permissions.uploaderFor(request);
    try {
      const outcomes = await receiveFiles(request.parts(), {
        deps: {
          repository: options.repository,
          storage: options.storage,
          limits,
          log: request.log,
          reclaimer: options.reclaimer,
          uploader: uploader.id,
        },
        signal,
        maxFiles: limits.maxFilesPerUpload,
        requestId: request.id,
        clientGone: () => request.raw.destroyed && !request.raw.complete,
      });
      if (outcomes.some((outcome) => outcome.accepted && !outcome.duplicate)) {
        // The cookie that lets this browser delete and retry what it uploaded (a duplicate's
        // image stays its first uploader's).
        uploader.remember(reply);
        await options.onAccepted?.();
      }
      return respond(request, reply, outcomes);
    } finally {
      idle.stop();
      done();
    }
  });
};

function respond(request: FastifyRequest, reply: UploadReply, outcomes: FileOutcome[]): FastifyReply {
  const accepted = outcomes.filter((o): o is Accepted => o.accepted);
  const refused = outcomes.filter((o): o is Refused => !o.accepted);
  const html = wantsHtml(request);
  if (accepted.length === 0 && refused.length === 0) {
    const message = `No file was sent: choose one or more images (form field "${FILE_FIELD}")`;
    return html
      ? reply.code(400).view('upload-result', { accepted, refused, message })
      : reply.code(400).send({ error: 'no_file', message });
  }
  const status = accepted.some((a) => !a.duplicate) ? 201 : accepted.length > 0 ? 200 : refused[0]!.status;
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  // After a stall or an outage the body was not read to its end: the connection cannot carry
  // another request.
  if (refused.some((r) => r.status === 408 || r.status === 503)) reply.header('connection', 'close');
  for (const r of refused)
    request.log.info({ filename: r.filename, error: r.error, status: r.status }, 'file refused');
  if (html) {
    if (refused.length === 0 && accepted.every((a) => !a.duplicate)) return reply.redirect('/gallery', 303);
    return reply.code(status).view('upload-result', { accepted, refused, message: null });
  }
  if (accepted.length > 0) {
    return reply.code(status === 201 ? 201 : 200).send({
      images: accepted.map(({ record, duplicate }) => ({
        id: record.id,
        filename: record.filename,
        annotationStatus: record.annotationStatus,
        thumbnailStatus: record.thumbnailStatus,
        duplicate,
      })),
      refused,
    });
  }
  const message = refused.length === 1 ? refused[0]!.message : refused.map((r) => r.message).join('; ');
  return reply.code(status).send({ error: refused[0]!.error, message, refused });
}
