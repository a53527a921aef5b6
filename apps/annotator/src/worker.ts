import type { ImageRecord } from '@annot/db';
import { InvalidEventError, type ObjectCreated, parseObjectCreatedEvent } from '@annot/events';
import { UPLOADS_PREFIX } from '@annot/object-keys';
import { AnnotatorConfigurationError, PermanentAnnotationError } from './errors.ts';
import { summariseEvent } from './event-summary.ts';
import type { AnnotationWorkerDeps, WorkerOutcome } from './types.ts';

/** The default cap on an original read into memory: MAX_UPLOAD_BYTES' default. */
export const DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024;

type LogContext = { key: string; requestId: string | undefined; eventId: string };

/**
 * The transport-independent annotation worker: the Lambda handler and the local event bus both call
 * `handle`. It resolves when the annotation is recorded, when a permanent failure is recorded as
 * annotation_status = failed, or when there is nothing to do. It throws on transient failures and
 * on configuration errors (so the platform retries and the dead-letter queue keeps the event), and
 * throws InvalidEventError, after logging it, on a malformed event.
 */
export function createAnnotationWorker(deps: AnnotationWorkerDeps) {
  return {
    handle: (event: unknown, context: { requestId?: string } = {}) => handle(deps, event, context.requestId),
  };
}

async function handle(
  deps: AnnotationWorkerDeps,
  event: unknown,
  requestId: string | undefined,
): Promise<WorkerOutcome> {
  const { annotator, logger, repository } = deps;
  let created: ObjectCreated;
  try {
    created = parseObjectCreatedEvent(event);
  } catch (error) {
    if (error instanceof InvalidEventError) {
      logger.error('Rejected a malformed event', {
        requestId,
        error: error.message,
        event: summariseEvent(event),
      });
    }
    throw error;
  }
  const { key } = created;
  const log: LogContext = { key, requestId, eventId: created.eventId };

  const notOurs = whyNotOurs(created, deps.storage.originals.bucket);
  if (notOurs) {
    logger.warn('Skipped an event for an object that is not an upload', {
      ...log,
      bucket: created.bucket,
      reason: notOurs,
    });
    return { status: 'skipped', key, reason: notOurs };
  }

  // A redelivered event for an image this annotator and model already described: no second call.
  // A row described by another annotator or model (say, local before a Gemini key was set) is redone.
  const existing = await repository.getByOriginalKey(key);
  if (alreadyDescribed(existing, annotator)) {
    logger.info('Annotation already recorded; duplicate event skipped', {
      ...log,
      annotator: annotator.name,
    });
    return { status: 'skipped', key, reason: 'already annotated' };
  }

  const started = performance.now();
  try {
    const original = await readOriginal(deps, key);
    if (original === null) {
      // S3 is strongly consistent: a missing object was deleted after the event was sent. With no
      // row, the web tier withdrew a refused upload and there is nothing to show; with a row, the
      // person should see why no annotation will ever appear.
      if (!existing) {
        logger.warn('Original is gone and has no row; upload was withdrawn, skipped', log);
        return { status: 'skipped', key, reason: 'original not found' };
      }
      throw new PermanentAnnotationError('The original file no longer exists');
    }
    const contentType = original.contentType ?? existing?.contentType ?? 'application/octet-stream';
    const annotation = await annotator.describe({ bytes: original.bytes, contentType });
    await repository.recordAnnotation({
      originalKey: key,
      annotation,
      annotator: annotator.name,
      model: annotator.model,
    });
    logger.info('Annotation written', {
      ...log,
      annotator: annotator.name,
      model: annotator.model,
      bytes: original.bytes.length,
      characters: annotation.length,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: 'completed', key };
  } catch (error) {
    if (error instanceof PermanentAnnotationError) {
      await repository.markFailed({ originalKey: key, stage: 'annotation', reason: error.message });
      logger.warn('Annotation refused; recorded as failed', {
        ...log,
        reason: error.message,
        cause: firstLine(error.cause),
      });
      return { status: 'failed', key, reason: error.message };
    }
    const message =
      error instanceof AnnotatorConfigurationError
        ? 'Annotator is misconfigured; rethrowing so the event is kept for a redrive'
        : 'Annotation failed with a transient error; rethrowing for a retry';
    logger.error(message, { ...log, annotator: annotator.name, model: annotator.model, error });
    throw error;
  }
}

function alreadyDescribed(row: ImageRecord | null, annotator: AnnotationWorkerDeps['annotator']): boolean {
  return (
    row?.annotationStatus === 'completed' &&
    row.annotator === annotator.name &&
    row.annotationModel === annotator.model
  );
}

function whyNotOurs(created: ObjectCreated, originalsBucket: string): string | undefined {
  if (created.bucket !== originalsBucket) return `bucket ${created.bucket} is not the originals bucket`;
  if (!created.key.startsWith(UPLOADS_PREFIX) || created.key.endsWith('/')) {
    return `key is not an object under ${UPLOADS_PREFIX}`;
  }
  return undefined;
}

/** Reads the original, refusing an oversized one from its size before any byte is read. */
async function readOriginal(
  deps: AnnotationWorkerDeps,
  key: string,
): Promise<{ bytes: Uint8Array; contentType: string | undefined } | null> {
  const maxBytes = deps.settings.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const info = await deps.storage.originals.head(key);
  if (info === null) return null;
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
  try {
    return { bytes: await deps.storage.originals.getBytes(key, { maxBytes }), contentType: info.contentType };
  } catch (error) {
    // Deleted or replaced between head and get: the same outcomes as above. Matched by name, so a
    // second bundled copy of the storage package still matches.
    if (isNamed(error, 'ObjectNotFoundError')) return null;
    if (isNamed(error, 'ObjectTooLargeError')) throw tooLarge(undefined, maxBytes, error);
    throw error;
  }
}

function tooLarge(size: number | undefined, maxBytes: number, cause?: unknown): PermanentAnnotationError {
  const what = size === undefined ? 'The original is' : `The original is ${size} bytes,`;
  return new PermanentAnnotationError(`${what} over the limit of ${maxBytes} bytes`, { cause });
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function firstLine(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message.split('\n')[0] : undefined;
}
