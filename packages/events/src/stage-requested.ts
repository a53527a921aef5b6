import { z } from 'zod';
import { eventEnvelope, InvalidEventError } from './object-created.ts';

/**
 * The custom "retry one stage of an image" event. The web tier publishes it (EventBridge PutEvents
 * in AWS, the local bus in the embedded system) when a person asks for a stage to run again; a
 * rule per worker (`stageRequestedPattern`) routes it to that stage's worker only, with the same
 * retry policy and dead-letter queue as the S3 "Object Created" target.
 *
 * Its detail names the object as S3's event does (`bucket.name`, `object.key`), so the workers'
 * log summaries find both, but the key is the RAW object key: not percent-encoded, unlike S3's
 * events (we publish it ourselves, so nothing encodes it on the way).
 */
export const STAGE_REQUESTED_SOURCE = 'annot.web';
export const STAGE_REQUESTED_DETAIL_TYPE = 'Stage Requested';

/** The stages a retry can name (the row's two status columns). */
export const REQUESTABLE_STAGES = ['thumbnail', 'annotation'] as const;
export type RequestableStage = (typeof REQUESTABLE_STAGES)[number];

export const StageRequestedDetailSchema = z.object({
  bucket: z.object({ name: z.string().min(1) }),
  object: z.object({ key: z.string().min(1) }),
  stage: z.enum(REQUESTABLE_STAGES),
});

export type StageRequestedDetail = z.infer<typeof StageRequestedDetailSchema>;

/** The envelope EventBridge delivers to a target (PutEvents fills in id, time, account, region). */
export const StageRequestedEventSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1),
  source: z.literal(STAGE_REQUESTED_SOURCE),
  'detail-type': z.literal(STAGE_REQUESTED_DETAIL_TYPE),
  account: z.string().optional(),
  time: z.string().min(1),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: StageRequestedDetailSchema,
});

export type StageRequestedEvent = z.infer<typeof StageRequestedEventSchema>;

/** What a worker needs from a retry event. */
export interface StageRequested {
  readonly eventId: string;
  readonly time: string;
  readonly bucket: string;
  /** The object key exactly as stored (the event carries it raw). */
  readonly key: string;
  readonly stage: RequestableStage;
}

export interface StageRequestInput {
  readonly bucket: string;
  /** The raw object key (never percent-encoded). */
  readonly key: string;
  readonly stage: RequestableStage;
}

/**
 * One PutEvents entry for a retry (Source, DetailType, Detail as JSON), as the web tier sends it
 * to EventBridge. `EventBusName` is the caller's.
 */
export function stageRequestedEntry(input: StageRequestInput): {
  Source: string;
  DetailType: string;
  Detail: string;
} {
  return {
    Source: STAGE_REQUESTED_SOURCE,
    DetailType: STAGE_REQUESTED_DETAIL_TYPE,
    Detail: JSON.stringify(stageRequestedDetail(input)),
  };
}

function stageRequestedDetail(input: StageRequestInput): StageRequestedDetail {
  return StageRequestedDetailSchema.parse({
    bucket: { name: input.bucket },
    object: { key: input.key },
    stage: input.stage,
  });
}

export interface BuildStageRequestedInput extends StageRequestInput {
  readonly id?: string;
  readonly time?: Date;
  readonly region?: string;
  readonly account?: string;
}

/**
 * The event as EventBridge delivers it to a target after PutEvents: used by the local bus (the
 * embedded system's publisher) and by tests.
 */
export function buildStageRequestedEvent(input: BuildStageRequestedInput): StageRequestedEvent {
  return {
    ...eventEnvelope(
      { ...input, time: input.time ?? new Date() },
      STAGE_REQUESTED_SOURCE,
      STAGE_REQUESTED_DETAIL_TYPE,
    ),
    resources: [],
    detail: stageRequestedDetail(input),
  };
}

/** Whether an event claims to be a retry event (its source and detail-type), valid or not. */
export function isStageRequestedEvent(input: unknown): boolean {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.source === STAGE_REQUESTED_SOURCE && record['detail-type'] === STAGE_REQUESTED_DETAIL_TYPE;
}

/** Validates an unknown input as a retry event and returns what the workers need. */
export function parseStageRequestedEvent(input: unknown): StageRequested {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new InvalidEventError('Event is a string that is not JSON', [], { cause: error });
    }
  }
  const result = StageRequestedEventSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
    );
    throw new InvalidEventError(`Not a "${STAGE_REQUESTED_DETAIL_TYPE}" event`, issues);
  }
  const event = result.data;
  return {
    eventId: event.id,
    time: event.time,
    bucket: event.detail.bucket.name,
    key: event.detail.object.key,
    stage: event.detail.stage,
  };
}
