import type { Stage } from '@annot/db';
import { stageRequestedEntry } from '@annot/events';
import type { ObjectStore } from '@annot/storage';
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';

/**
 * Asks the workers to run one stage of an image again: the one function the web tier's retry
 * uses. Resolves once the request is delivered (the event accepted by the bus); rejects with a
 * StageRequestError when it could not be. The stage must already be `pending` in the row (the
 * repository's retry sets it), or the worker's "already done?" check skips it.
 */
export type RequestStage = (originalKey: string, stage: Stage) => Promise<void>;

/** A retry that could not be handed to the workers, in plain words (the cause keeps the detail). */
export class StageRequestError extends Error {
  override readonly name = 'StageRequestError';
  /** True when the same request may succeed later (the bus did not answer or refused for now): a 503. */
  readonly retryable: boolean;
  constructor(message: string, options: ErrorOptions & { retryable: boolean }) {
    super(message, options);
    this.retryable = options.retryable;
  }
}

const UNDELIVERED = 'The retry could not be sent to the workers; try again shortly.';

export interface EventBridgeRequesterOptions {
  /** EVENT_BUS_NAME (`default` in AWS). */
  readonly busName: string;
  /** The originals bucket the key is in (the rule matches it). */
  readonly originalsBucket: string;
  /** EVENT_PUBLISH_TIMEOUT_MS: the longest one call may take, the SDK's retries included. */
  readonly timeoutMs: number;
  /** The client's settings (region; tests: endpoint and credentials). */
  readonly clientConfig?: EventBridgeClientConfig;
}

export interface StageRequester {
  readonly requestStage: RequestStage;
  close(): void;
}

/**
 * The AWS publisher: one PutEvents entry per retry, on the configured bus. A rule per worker
 * (infra, `stageRequestedPattern`) sends it to that stage's Lambda with the same retry policy and
 * dead-letter queue as S3's Object Created events. PutEvents answers 200 even when it refused an
 * entry; FailedEntryCount > 0 is a rejection here, like a call that failed or ran out of time.
 */
export function eventBridgeStageRequester(options: EventBridgeRequesterOptions): StageRequester {
  const client = new EventBridgeClient({ maxAttempts: 3, ...options.clientConfig });
  return {
    async requestStage(originalKey, stage) {
      const entry = { ...stageRequestedEntry({ bucket: options.originalsBucket, key: originalKey, stage }) };
      let failed: { ErrorCode?: string | undefined; ErrorMessage?: string | undefined } | undefined;
      try {
        const answer = await client.send(
          new PutEventsCommand({ Entries: [{ ...entry, EventBusName: options.busName }] }),
          { abortSignal: AbortSignal.timeout(options.timeoutMs) },
        );
        if ((answer.FailedEntryCount ?? 0) === 0) return;
        failed = answer.Entries?.[0] ?? {};
      } catch (error) {
        throw new StageRequestError(UNDELIVERED, { cause: error, retryable: true });
      }
      const detail = new Error(
        `PutEvents refused the entry: ${failed.ErrorCode ?? 'no code'}: ${failed.ErrorMessage ?? ''}`,
      );
      throw new StageRequestError(UNDELIVERED, { cause: detail, retryable: true });
    },
    close: () => client.destroy(),
  };
}

/**
 * The fallback when there is neither a bus nor an extension: raise the original's Object Created
 * event again (`renotify`: in S3 a copy onto itself, which EventBridge routes to both workers).
 * Each worker's "already done?" check skips the stage that is complete, so only the pending one
 * runs.
 */
export function renotifyStageRequester(originals: ObjectStore): StageRequester {
  return {
    async requestStage(originalKey) {
      let missing: boolean;
      try {
        if (await originals.renotify(originalKey)) return;
        // False: the original is gone, or this store raises no events (a bare directory, no workers).
        missing = (await originals.head(originalKey)) === null;
      } catch (error) {
        throw new StageRequestError(UNDELIVERED, { cause: error, retryable: true });
      }
      throw new StageRequestError(
        missing
          ? "The image's original is no longer stored, so it cannot be processed again."
          : 'This server runs no workers, so the image cannot be processed again.',
        { retryable: false },
      );
    },
    close() {},
  };
}
