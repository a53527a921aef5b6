import type { ImageRecord } from '@annot/db';
import { originalGone, readOriginal, receiveEvent } from '@annot/worker-runtime';
import { AnnotatorConfigurationError, PermanentAnnotationError } from './errors.ts';
import type { AnnotationWorkerDeps, WorkerOutcome } from './types.ts';

/** The default cap on an original read into memory: MAX_UPLOAD_BYTES' default. */
const DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024;

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
  const originalsBucket = deps.storage.originals.bucket;
  const intake = receiveEvent(event, { logger, originalsBucket, requestId });
  if (!intake.accepted) return intake.outcome;
  const { key } = intake.event;
  const { log } = intake;

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
    const original = await readOriginalOf(deps, key);
    if (original === null) {
      return originalGone(existing, { logger, log }, (reason) => new PermanentAnnotationError(reason));
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

/** Reads the original, refusing an oversized one from its size before any byte is read. */
function readOriginalOf(deps: AnnotationWorkerDeps, key: string) {
  const maxBytes = deps.settings.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  return readOriginal(deps.storage.originals, key, { maxBytes, tooLarge });
}

function tooLarge(size: number | undefined, maxBytes: number, cause?: unknown): PermanentAnnotationError {
  const what = size === undefined ? 'The original is' : `The original is ${size} bytes,`;
  return new PermanentAnnotationError(`${what} over the limit of ${maxBytes} bytes`, { cause });
}

function firstLine(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message.split('\n')[0] : undefined;
}
