import type { ImageRecord, ImageRepository } from '@annot/db';
import { problems } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import { PermanentFailure } from './failure.ts';
import { receiveEvent } from './intake.ts';
import { type CheckedImage, checkOriginal, readOriginal } from './read-original.ts';
import type { EventWorker, LogContext, WorkerLogger, WorkerOutcome } from './types.ts';

export interface StageDeps {
  readonly storage: Storage;
  readonly repository: ImageRepository;
  readonly logger: WorkerLogger;
}

/** What a worker adds to the runner: its stage's own work and how it is recorded. */
export interface Stage<Result> {
  /** The stage this worker records (its status column, and its name in log lines). */
  readonly name: 'thumbnail' | 'annotation';
  /** Originals larger than this are refused before being read. */
  readonly maxInputBytes: number;
  /** Fields every log line of this stage carries (say, the annotator and model). */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /**
   * Why a redelivered event needs no second run (say "already thumbnailed"), or undefined when
   * the work is to be done. The row is the record of finished work.
   */
  alreadyDone(row: ImageRecord | null, key: string): string | undefined;
  /** The work on a checked image. Throws PermanentFailure for a fault of the image. */
  work(
    image: CheckedImage,
    context: { readonly key: string; readonly row: ImageRecord | null },
  ): Promise<Result>;
  /** Stores the result; resolves the fields of the success log line. */
  record(result: Result, image: CheckedImage, key: string): Promise<Record<string, unknown>>;
  /** The log line for an error that is not the image's fault (default: a transient one). */
  describeError?(error: unknown): string | undefined;
}

/**
 * The one skeleton of both workers: intake (malformed events rethrown, others' events skipped),
 * already done?, read the original, check it, work, record. A PermanentFailure becomes the stage's
 * `failed` status with its reason; anything else is rethrown, so the platform retries (and, in AWS,
 * the dead-letter queue keeps the event). The Lambda handler and the local event bus both call
 * `handle`.
 */
export function createStageWorker<Result>(deps: StageDeps, stage: Stage<Result>): EventWorker {
  return {
    handle: (event, context = {}) => runStage(deps, stage, event, context.requestId),
  };
}

async function runStage<Result>(
  deps: StageDeps,
  stage: Stage<Result>,
  event: unknown,
  requestId: string | undefined,
): Promise<WorkerOutcome> {
  const { logger, repository, storage } = deps;
  const intake = receiveEvent(event, { logger, originalsBucket: storage.originals.bucket, requestId });
  if (!intake.accepted) return intake.outcome;
  const { key } = intake.event;
  const log = { ...intake.log, ...stage.logFields };
  const label = stage.name === 'thumbnail' ? 'Thumbnail' : 'Annotation';

  const existing = await repository.getByOriginalKey(key);
  const done = stage.alreadyDone(existing, key);
  if (done !== undefined) {
    logger.info(`${label} already recorded; duplicate event skipped`, log);
    return { status: 'skipped', key, reason: done };
  }

  const started = performance.now();
  try {
    const bytes = await readOriginal(storage.originals, key, stage.maxInputBytes);
    if (bytes === null) return originalGone(existing, { logger, log });
    const image = await checkOriginal(bytes);
    const result = await stage.work(image, { key, row: existing });
    const fields = await stage.record(result, image, key);
    logger.info(`${label} written`, {
      ...log,
      format: image.format.format,
      bytes: image.size,
      ...fields,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: 'completed', key };
  } catch (error) {
    if (error instanceof PermanentFailure) {
      await repository.markFailed({ originalKey: key, stage: stage.name, reason: error.reason });
      logger.warn(`${label} refused; recorded as failed`, {
        ...log,
        reason: error.reason,
        detail: error.detail,
      });
      return { status: 'failed', key, reason: error.reason };
    }
    const message =
      stage.describeError?.(error) ?? `${label} failed with a transient error; rethrowing for a retry`;
    logger.error(message, { ...log, error });
    throw error;
  }
}

/**
 * When the original is gone. S3 is strongly consistent: a missing object was deleted after the
 * event was sent. With no row, the web tier withdrew a refused or aborted upload and there is
 * nothing to show, so the event is skipped. With a row, the person should see why no result will
 * ever appear, so the image is recorded as failed.
 */
function originalGone(
  row: ImageRecord | null,
  context: { readonly logger: WorkerLogger; readonly log: LogContext },
): WorkerOutcome {
  if (row) throw PermanentFailure.of(problems.originalMissing());
  context.logger.warn('Original is gone and has no row; upload was withdrawn, skipped', context.log);
  return { status: 'skipped', key: context.log.key, reason: 'original not found' };
}
