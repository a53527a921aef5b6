import type { ImageRecord, ImageRepository, StageClaim } from '@annot/db';
import { errorDetail, problems } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import { PermanentFailure } from './failure.ts';
import { receiveEvent } from './intake.ts';
import { type CheckedImage, checkOriginal, readOriginal } from './read-original.ts';
import type {
  Deadline,
  EventContext,
  EventWorker,
  LogContext,
  WorkerLogger,
  WorkerOutcome,
} from './types.ts';

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
  /**
   * How long the worker's claim on the stage lasts (STAGE_LEASE_MS): longer than the longest run,
   * so that only a worker that died loses it.
   */
  readonly leaseMs: number;
  /** Fields every log line of this stage carries (say, the annotator and model). */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /**
   * Why a redelivered event needs no second run (say "already thumbnailed"), or undefined when
   * the work is to be done. The row is the record of finished work.
   */
  alreadyDone(row: ImageRecord, key: string): string | undefined;
  /**
   * When this stage's time for one event runs out (see `workDeadline`). Without it the work has no
   * deadline of its own beyond the platform's.
   */
  readonly deadline?: DeadlineSettings;
  /**
   * The work on a checked image. Throws PermanentFailure for a fault of the image. Work that can
   * take long (model calls and their retries) must end before `deadline` runs out.
   */
  work(
    image: CheckedImage,
    context: { readonly key: string; readonly row: ImageRecord; readonly deadline: Deadline },
  ): Promise<Result>;
  /**
   * Stores the result. Resolves the fields of the success log line, or null when the row was gone
   * (the repository's write found none: the upload was withdrawn meanwhile).
   */
  record(result: Result, image: CheckedImage, key: string): Promise<Record<string, unknown> | null>;
  /**
   * Removes what the stage may have stored for an upload that was withdrawn (say, the thumbnail
   * object), so nothing outlives the row. Called whenever the runner finds the row gone, also on a
   * redelivery, so a removal that failed is tried again. Must not mind that there is nothing.
   */
  discard?(key: string): Promise<void>;
  /** The log line for an error that is not the image's fault (default: a transient one). */
  describeError?(error: unknown): string | undefined;
}

/** The reasons of the runner's `skipped` outcomes, after the intake's. */
export const SKIPPED = {
  /** The row is gone: the web tier withdrew the upload (refused, aborted or deleted). */
  withdrawn: 'withdrawn',
  /** Another delivery of the same event holds the stage's lease and is working on it. */
  inProgress: 'another delivery is working on it',
} as const;

/**
 * The one skeleton of both workers: intake (uploads' Object Created events and retries of this
 * stage accepted; malformed events rethrown, others' events skipped),
 * claim the stage, already done?, read the original, check it, work, record, release the claim.
 * A PermanentFailure becomes the stage's `failed` status with its reason; anything else is
 * rethrown, so the platform retries (and, in AWS, the dead-letter queue keeps the event). The
 * Lambda handler and the local event bus both call `handle`.
 *
 * The claim is a lease (see ImageRepository.claimStage): of several deliveries of one event at
 * once, one works and the others stand down (`skipped`); a worker that dies holding it blocks the
 * stage only until it runs out. The row is read after the claim, so a delivery that claims just
 * after another one finished and released sees its result and does not work again.
 *
 * Workers only update the web tier's row. When it is gone, the upload was withdrawn: the event is
 * skipped, and the stage discards whatever it stored, so a withdrawn upload leaves nothing.
 */
export function createStageWorker<Result>(deps: StageDeps, stage: Stage<Result>): EventWorker {
  return {
    handle: (event, context = {}) => runStage(deps, stage, event, context),
  };
}

/** WORKER_DEADLINE_MS and DEADLINE_RESERVE_MS. */
export interface DeadlineSettings {
  /** Outside Lambda, the time one event may take, from the start of `handle`. */
  readonly localMs: number;
  /** Kept back before the deadline for recording the result. */
  readonly reserveMs: number;
}

/**
 * The deadline of one event's work: the platform's remaining time when it tells it (Lambda), else
 * `localMs` from now; either way less the reserve for recording the result. `now` is injectable.
 */
export function workDeadline(
  settings: DeadlineSettings | undefined,
  platformRemainingMs?: () => number,
  now: () => number = () => performance.now(),
): Deadline {
  const reserveMs = settings?.reserveMs ?? 0;
  if (platformRemainingMs) return { remainingMs: () => platformRemainingMs() - reserveMs };
  if (!settings) return { remainingMs: () => Number.POSITIVE_INFINITY };
  const end = now() + settings.localMs - reserveMs;
  return { remainingMs: () => end - now() };
}

interface Run {
  readonly logger: WorkerLogger;
  readonly log: LogContext & Record<string, unknown>;
  readonly label: string;
  readonly deadline: Deadline;
}

/** The row is gone: the upload was withdrawn (see `withdrawn`). */
const WITHDRAWN = Symbol('withdrawn');
type Step = WorkerOutcome | typeof WITHDRAWN;

async function runStage<Result>(
  deps: StageDeps,
  stage: Stage<Result>,
  event: unknown,
  context: EventContext,
): Promise<WorkerOutcome> {
  const deadline = workDeadline(stage.deadline, context.remainingMs);
  const { requestId } = context;
  const { logger, repository, storage } = deps;
  const intake = receiveEvent(event, {
    logger,
    originalsBucket: storage.originals.bucket,
    requestId,
    stage: stage.name,
  });
  if (!intake.accepted) return intake.outcome;
  const { key } = intake.event;
  const run: Run = {
    logger,
    log: { ...intake.log, ...stage.logFields },
    label: stage.name === 'thumbnail' ? 'Thumbnail' : 'Annotation',
    deadline,
  };

  const claim = await repository.claimStage({ originalKey: key, stage: stage.name, leaseMs: stage.leaseMs });
  try {
    const step = await claimed(deps, stage, run, claim);
    return step === WITHDRAWN ? await withdrawn(stage, run) : step;
  } finally {
    if (claim) await release(repository, claim, run);
  }
}

/** After the claim (won, or null when another delivery holds the stage or the row is gone). */
async function claimed<Result>(
  deps: StageDeps,
  stage: Stage<Result>,
  run: Run,
  claim: StageClaim | null,
): Promise<Step> {
  const { key } = run.log;
  const row = await deps.repository.getByOriginalKey(key);
  if (row === null) return WITHDRAWN;
  const done = stage.alreadyDone(row, key);
  if (done !== undefined) {
    run.logger.info(`${run.label} already recorded; duplicate event skipped`, run.log);
    return { status: 'skipped', key, reason: done };
  }
  if (claim === null) {
    run.logger.info(`${run.label} is being made by another delivery of this event; this one stands down`, {
      ...run.log,
      leaseMs: stage.leaseMs,
    });
    return { status: 'skipped', key, reason: SKIPPED.inProgress };
  }
  return work(deps, stage, run, row);
}

async function work<Result>(
  deps: StageDeps,
  stage: Stage<Result>,
  run: Run,
  row: ImageRecord,
): Promise<Step> {
  const { key } = run.log;
  const started = performance.now();
  try {
    const bytes = await readOriginal(deps.storage.originals, key, stage.maxInputBytes);
    // S3 is strongly consistent: the original was deleted after the event was sent. The row was
    // there a moment ago, so the person should see why no result will ever appear (if the row
    // has gone too since, the failure finds none and the upload counts as withdrawn).
    if (bytes === null) throw PermanentFailure.of(problems.originalMissing());
    const image = await checkOriginal(bytes);
    const result = await stage.work(image, { key, row, deadline: run.deadline });
    const fields = await stage.record(result, image, key);
    if (fields === null) return WITHDRAWN;
    run.logger.info(`${run.label} written`, {
      ...run.log,
      format: image.format.format,
      bytes: image.size,
      ...fields,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: 'completed', key };
  } catch (error) {
    if (error instanceof PermanentFailure) {
      const failure = { originalKey: key, stage: stage.name, reason: error.reason };
      if (!(await deps.repository.markFailed(failure))) return WITHDRAWN;
      run.logger.warn(`${run.label} refused; recorded as failed`, {
        ...run.log,
        reason: error.reason,
        detail: error.detail,
      });
      return { status: 'failed', key, reason: error.reason };
    }
    throw transient(stage, run, error);
  }
}

/** Logs an error that is not the image's fault, and gives it back to be thrown for a retry. */
function transient<Result>(stage: Stage<Result>, run: Run, error: unknown): unknown {
  const message =
    stage.describeError?.(error) ?? `${run.label} failed with a transient error; rethrowing for a retry`;
  run.logger.error(message, { ...run.log, error });
  return error;
}

/**
 * The row is gone: the web tier withdrew the upload. The event is skipped, and the stage discards
 * what it may have stored. (The web tier deletes the row before the thumbnail, so a thumbnail
 * stored before that is deleted by the web tier, and one stored after it is discarded here.) A
 * failing discard is thrown, so the retry tries again.
 */
async function withdrawn<Result>(stage: Stage<Result>, run: Run): Promise<WorkerOutcome> {
  try {
    await stage.discard?.(run.log.key);
  } catch (error) {
    throw transient(stage, run, error);
  }
  run.logger.warn(`Upload was withdrawn (its row is gone); ${run.label.toLowerCase()} skipped`, run.log);
  return { status: 'skipped', key: run.log.key, reason: SKIPPED.withdrawn };
}

/** Frees the stage. A failure only costs the lease's remaining time, so it is logged, not thrown. */
async function release(repository: ImageRepository, claim: StageClaim, run: Run): Promise<void> {
  try {
    await repository.releaseStage(claim);
  } catch (error) {
    run.logger.warn(`Could not release the ${claim.stage} lease; it runs out by itself`, {
      ...run.log,
      expiresAt: claim.expiresAt.toISOString(),
      error: errorDetail(error),
    });
  }
}
