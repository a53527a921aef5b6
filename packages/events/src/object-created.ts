import { S3EventNotificationEventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/s3';
import { z } from 'zod';

/**
 * The "Object Created" event that S3 sends to EventBridge, as AWS documents it
 * (Amazon S3 User Guide, "EventBridge event message structure").
 */
export const ObjectCreatedEventSchema = S3EventNotificationEventBridgeSchema.extend({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
});

export type S3ObjectCreatedEvent = z.infer<typeof ObjectCreatedEventSchema>;

/** What a worker needs from an Object Created event, with the key decoded. */
export interface ObjectCreated {
  readonly eventId: string;
  readonly time: string;
  readonly bucket: string;
  /** The object key exactly as S3 stores it (decoded). */
  readonly key: string;
  readonly size: number | undefined;
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  readonly sequencer: string | undefined;
}

/** A malformed event: not an S3 Object Created event, or missing what the workers need. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: ErrorOptions) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
    this.issues = issues;
  }
}

/**
 * Decodes `detail.object.key`.
 *
 * S3 notifications delivered straight to SQS, SNS or Lambda form-encode the key ("red flower.jpg"
 * arrives as "red+flower.jpg"). Events delivered through EventBridge percent-encode it instead:
 * a space arrives as "%20" and a literal "+" stays "+". So this decodes percent escapes only and
 * never turns "+" into a space. A key that is not valid percent-encoding (a raw "%" that starts no
 * escape) is returned as it is rather than failing the event.
 */
export function decodeEventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Encodes a key the way EventBridge carries it: percent escapes, with "/" kept. */
export function encodeEventKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Validates an unknown input as an S3 Object Created event and returns what the workers need. */
export function parseObjectCreatedEvent(input: unknown): ObjectCreated {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new InvalidEventError('Event is a string that is not JSON', [], { cause: error });
    }
  }
  const result = ObjectCreatedEventSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
    );
    throw new InvalidEventError('Not an S3 "Object Created" EventBridge event', issues);
  }
  const event = result.data;
  const key = decodeEventKey(event.detail.object.key);
  if (key.length === 0) {
    throw new InvalidEventError('Not an S3 "Object Created" EventBridge event', [
      'detail.object.key: must not be empty',
    ]);
  }
  return {
    eventId: event.id,
    time: event.time,
    bucket: event.detail.bucket.name,
    key,
    size: event.detail.object.size,
    etag: event.detail.object.etag,
    versionId: event.detail.object['version-id'],
    sequencer: event.detail.object.sequencer,
  };
}

export interface BuildObjectCreatedInput {
  readonly bucket: string;
  /** The decoded key; it is encoded the way EventBridge would carry it. */
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
  readonly id?: string;
  readonly time?: Date;
  readonly region?: string;
  readonly account?: string;
}

/**
 * The fields EventBridge puts around every event it delivers: version, id, source, detail-type,
 * account, time (to the second, as EventBridge writes it) and region. Local defaults for what only
 * AWS knows.
 */
export function eventEnvelope<Source extends string, DetailType extends string>(
  input: { readonly id?: string; readonly time: Date; readonly region?: string; readonly account?: string },
  source: Source,
  detailType: DetailType,
) {
  return {
    version: '0',
    id: input.id ?? crypto.randomUUID(),
    'detail-type': detailType,
    source,
    account: input.account ?? '000000000000',
    time: input.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: input.region ?? 'local',
  } as const;
}

/** Builds the event S3 would send to EventBridge for a new object: used by the local bus and tests. */
export function buildObjectCreatedEvent(input: BuildObjectCreatedInput): S3ObjectCreatedEvent {
  const time = input.time ?? new Date();
  return {
    ...eventEnvelope({ ...input, time }, 'aws.s3', 'Object Created'),
    resources: [`arn:aws:s3:::${input.bucket}`],
    detail: {
      version: '0',
      bucket: { name: input.bucket },
      object: {
        key: encodeEventKey(input.key),
        ...(input.size === undefined ? {} : { size: input.size }),
        ...(input.etag === undefined ? {} : { etag: input.etag }),
        sequencer: time.getTime().toString(16).toUpperCase().padStart(16, '0'),
      },
      'request-id': crypto.randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
      requester: input.account ?? '000000000000',
      reason: 'PutObject',
    },
  } as S3ObjectCreatedEvent;
}
