import {
  InvalidEventError,
  isStageRequestedEvent,
  type ObjectCreated,
  parseObjectCreatedEvent,
  parseStageRequestedEvent,
  type RequestableStage,
  type StageRequested,
} from '@annot/events';
import { UPLOADS_PREFIX } from '@annot/object-keys';
import { InvalidObjectKeyError, validateObjectKey } from '@annot/storage';
import { short, summariseEvent } from './event-summary.ts';
import type { LogContext, WorkerLogger, WorkerOutcome } from './types.ts';

export interface IntakeOptions {
  readonly logger: WorkerLogger;
  /** The bucket uploads land in; an event for any other bucket is not this platform's. */
  readonly originalsBucket: string;
  readonly requestId: string | undefined;
  /** The stage this worker runs: a retry event for it is accepted, a retry of the other stage skipped. */
  readonly stage: RequestableStage;
}

/** What the worker is asked to do: an upload's Object Created event, or a retry of its stage. */
export type IntakeEvent =
  | ({ readonly trigger: 'upload' } & ObjectCreated)
  | ({ readonly trigger: 'retry' } & StageRequested);

/** An event to work on (with its log context), or the outcome to return without working. */
export type Intake =
  | { readonly accepted: true; readonly event: IntakeEvent; readonly log: LogContext }
  | { readonly accepted: false; readonly outcome: WorkerOutcome };

/**
 * The first step of every worker. It takes two kinds of event: S3's "Object Created" for a new
 * upload (both workers), and the web tier's "Stage Requested" retry for this worker's own stage
 * (a retry of the other stage is skipped, like any event that is not this worker's). After the
 * intake both are the same work on the same key. A malformed event is logged (with a short summary, never the
 * payload) and rethrown as InvalidEventError, so the platform keeps it in the dead-letter queue.
 * An event for another bucket, or for a key that is not an upload, is logged and skipped: the rule
 * may be shared, and such an event is never an error of the image. So is an event whose key cannot
 * be a stored object on every store (`validateObjectKey`, the storage package's rule: over 1024
 * bytes, a `..` or other dot segment, an empty segment, a control character...): no upload has such
 * a key, and retrying it could never succeed.
 */
export function receiveEvent(event: unknown, options: IntakeOptions): Intake {
  const { logger, requestId } = options;
  let created: IntakeEvent;
  try {
    created = isStageRequestedEvent(event)
      ? { trigger: 'retry', ...parseStageRequestedEvent(event) }
      : { trigger: 'upload', ...parseObjectCreatedEvent(event) };
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
  const log: LogContext = {
    key,
    requestId,
    eventId: created.eventId,
    ...(created.trigger === 'retry' ? { trigger: 'retry' as const } : {}),
  };

  if (created.trigger === 'retry' && created.stage !== options.stage) {
    const reason = `a retry of the ${created.stage} stage, not of this worker's ${options.stage}`;
    logger.warn("Skipped a retry of another worker's stage", { ...log, reason });
    return { accepted: false, outcome: { status: 'skipped', key, reason } };
  }

  const notOurs = whyNotOurs(created, options.originalsBucket);
  if (notOurs) {
    logger.warn('Skipped an event for an object that is not an upload', {
      ...log,
      bucket: created.bucket,
      reason: notOurs,
    });
    return { accepted: false, outcome: { status: 'skipped', key, reason: notOurs } };
  }
  const unusable = whyNotAnObjectKey(key);
  if (unusable) {
    logger.warn('Skipped an event whose key cannot be a stored object', {
      ...log,
      key: short(key),
      reason: unusable,
    });
    return { accepted: false, outcome: { status: 'skipped', key, reason: unusable } };
  }
  return { accepted: true, event: created, log };
}

function whyNotAnObjectKey(key: string): string | undefined {
  try {
    validateObjectKey(key);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidObjectKeyError) return `key cannot be a stored object: ${error.reason}`;
    throw error;
  }
}

function whyNotOurs(created: IntakeEvent, originalsBucket: string): string | undefined {
  if (created.bucket !== originalsBucket) return `bucket ${created.bucket} is not the originals bucket`;
  if (!created.key.startsWith(UPLOADS_PREFIX) || created.key.endsWith('/')) {
    return `key is not an object under ${UPLOADS_PREFIX}`;
  }
  return undefined;
}
