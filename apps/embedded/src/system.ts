import type { AppConfig } from '@annot/config';
import { buildStageRequestedEvent } from '@annot/events';
import { createSystem, StageRequestError, type System } from '@annot/web';
import type { Logger } from 'pino';
import { PublishingObjectStore } from './publishing-store.ts';
import { type LocalWorkersOptions, startLocalWorkers } from './workers.ts';

export interface EmbeddedSystemOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Tests: delay before each worker runs. */
  readonly workerDelayMs?: number;
  /** Tests: see LocalWorkersOptions. */
  readonly aroundDelivery?: LocalWorkersOptions['aroundDelivery'];
  readonly workerStorage?: LocalWorkersOptions['workerStorage'];
  /** Tests: told of every "Object Created" event the originals bucket publishes on the bus. */
  readonly onEvent?: (event: unknown) => void;
}

/**
 * The whole system in one process: the web app as `@annot/web` builds it and, with
 * LOCAL_WORKERS (the default), both workers on a local event bus. Originals are stored through a
 * decorator that publishes S3's "Object Created" event on the bus, so an upload flows to the
 * workers as it does in AWS; a retry publishes the "Stage Requested" event on the same bus, as the
 * web tier puts it on EventBridge in AWS. Closing the system lets the workers finish before the
 * database closes.
 */
export function createEmbeddedSystem(options: EmbeddedSystemOptions): Promise<System> {
  const { config, logger, workerDelayMs, onEvent } = options;
  if (!config.localWorkers) return createSystem({ config, logger });
  return createSystem({
    config,
    logger,
    extend: ({ storage, repository, stageRecorded }) => {
      const bus = startLocalWorkers({
        config,
        storage,
        repository,
        onRecorded: stageRecorded,
        log: logger.child({ component: 'workers' }),
        ...(workerDelayMs === undefined ? {} : { delayMs: workerDelayMs }),
        ...(options.aroundDelivery ? { aroundDelivery: options.aroundDelivery } : {}),
        ...(options.workerStorage ? { workerStorage: options.workerStorage } : {}),
      });
      return {
        wrapOriginals: (originals) =>
          new PublishingObjectStore(originals, (event) => {
            onEvent?.(event);
            bus.publish(event);
          }),
        async requestStage(originalKey, stage) {
          const event = buildStageRequestedEvent({
            bucket: storage.originals.bucket,
            key: originalKey,
            stage,
          });
          if (bus.publish(event).length === 0) {
            throw new StageRequestError('The retry could not be sent to the workers; try again shortly.', {
              cause: new Error(`no local worker subscribes to ${stage} retries`),
              retryable: false,
            });
          }
        },
        close: () => bus.close(),
      };
    },
  });
}
