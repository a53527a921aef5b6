import { setTimeout as sleep } from 'node:timers/promises';
import { annotatorSettings, createAnnotationWorker, createAnnotator } from '@annot/annotator';
import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import { LocalEventBus, objectCreatedPattern, stageRequestedPattern } from '@annot/events';
import type { Storage } from '@annot/storage';
import { createThumbnailer, thumbnailerSettings } from '@annot/thumbnailer';
import type { Logger } from 'pino';
import { workerLogger } from './worker-logger.ts';

export interface LocalWorkersOptions {
  readonly config: AppConfig;
  readonly storage: Storage;
  readonly repository: ImageRepository;
  readonly log: Logger;
  /** Waits this long before each delivery (tests use it to make the pending state observable). */
  readonly delayMs?: number;
  /** Tests: runs each delivery (`run`) to one target, e.g. to hold it back until a delete is done. */
  readonly aroundDelivery?: (target: 'thumbnailer' | 'annotator', run: () => Promise<void>) => Promise<void>;
  /** Tests: the storage the workers get, e.g. one that pauses a worker in the middle of its run. */
  readonly workerStorage?: (storage: Storage) => Storage;
  /** Told each time a worker has recorded its stage (completed or failed): the status streams push it. */
  readonly onRecorded?: () => void;
}

/**
 * The in-process stand-in for the EventBridge rules and their two Lambda targets: a local bus that
 * routes "Object Created" events to both workers, and each "Stage Requested" retry to the worker of
 * its stage, with the same pattern objects infra deploys, to the same worker cores the Lambda
 * handlers call. Retries get the same retries and dead letters as uploads. Failed deliveries are retried, then kept as dead letters. At most
 * LOCAL_WORKER_CONCURRENCY runs at once; the other deliveries wait in the bus's queue.
 */
export type LocalWorkers = LocalEventBus & {
  /** Lets the deliveries in flight finish, then releases the annotator (the vision models' thread). */
  close(): Promise<void>;
};

export function startLocalWorkers(options: LocalWorkersOptions): LocalWorkers {
  const { config, repository, log } = options;
  const storage = options.workerStorage ? options.workerStorage(options.storage) : options.storage;
  const around = options.aroundDelivery ?? ((_target, run) => run());
  const bus = new LocalEventBus({
    // Each run of a large image holds tens of MB (decoded pixels, the original): unbounded, eight
    // 30 MB uploads at once took the process from 143 to 820 MB. Lambda caps runs the same way.
    concurrency: config.localWorkerConcurrency,
    onError: ({ target, attempt, error, final }) =>
      log[final ? 'error' : 'warn'](
        { err: error, target, attempt },
        final ? 'event delivery failed: dead-lettered' : 'event delivery failed: retrying',
      ),
  });

  const thumbnailer = createThumbnailer({
    storage,
    repository,
    settings: thumbnailerSettings(config),
    logger: workerLogger(log.child({ worker: 'thumbnailer' })),
  });
  const settings = annotatorSettings(config);
  const annotator = createAnnotator(settings);
  const annotation = createAnnotationWorker({
    storage,
    repository,
    annotator,
    settings,
    logger: workerLogger(log.child({ worker: 'annotator' })),
  });

  const delay = options.delayMs ?? 0;
  const bucket = storage.originals.bucket;
  const targets = [
    { name: 'thumbnailer', stage: 'thumbnail', worker: thumbnailer },
    { name: 'annotator', stage: 'annotation', worker: annotation },
  ] as const;
  for (const { name, stage, worker } of targets) {
    const handler = (event: unknown) =>
      around(name, async () => {
        if (delay > 0) await sleep(delay);
        const outcome = await worker.handle(event);
        if (outcome.status !== 'skipped') options.onRecorded?.();
      });
    bus.subscribe(name, objectCreatedPattern(bucket), handler);
    bus.subscribe(`${name} (retries)`, stageRequestedPattern(bucket, stage), handler);
  }
  return Object.assign(bus, {
    async close() {
      await bus.drain();
      await annotator.close?.();
    },
  });
}
