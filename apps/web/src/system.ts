import { type AppConfig, createDatabaseUrlRefresher, createReplicaUrlRefresher } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { createStorage, type ObjectStore, type Storage } from '@annot/storage';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import {
  eventBridgeStageRequester,
  type RequestStage,
  renotifyStageRequester,
  type StageRequester,
} from './events/request-stage.ts';
import { StatusStreams } from './live/status-streams.ts';
import { buildServer } from './server.ts';
import { connectSharedCache, type SharedCache, sharedUrlCache } from './shared-cache.ts';
import { ReconciliationSweep } from './sweep.ts';

/** The adapters a system is built on, as an extension gets them. */
export interface SystemAdapters {
  readonly config: AppConfig;
  readonly repository: ImageRepository;
  /** The storage as configured (not wrapped). */
  readonly storage: Storage;
  readonly logger: FastifyBaseLogger;
  /**
   * Tells the open status streams (GET /api/images/events) that a stage was recorded in this
   * process, so they push it at once rather than at their next check. Local workers call it.
   */
  readonly stageRecorded: () => void;
}

/**
 * Something run in the same process as the web app, on its adapters: the embedded system's local
 * event bus and workers (`@annot/embedded`). The production entry runs none.
 */
export interface SystemExtension {
  /** Decorates the originals bucket the app stores uploads in (for example to raise an event per put). */
  readonly wrapOriginals?: (originals: ObjectStore) => ObjectStore;
  /**
   * Delivers a retry to the workers (the embedded system: the retry event on its local bus). Used
   * when EVENT_BUS_NAME is unset; EventBridge takes precedence.
   */
  readonly requestStage?: RequestStage;
  /** Lets the extension finish its work: called once the app has stopped and its uploads have settled, before the database closes. */
  readonly close?: () => Promise<void>;
}

export interface SystemOptions {
  readonly config: AppConfig;
  readonly logger: FastifyBaseLogger;
  /** Apply pending migrations (default config.migrate; a cluster's workers leave it to the primary). */
  readonly migrate?: boolean;
  /** Starts an extension on the system's adapters before the app is built (default: none). */
  readonly extend?: (adapters: SystemAdapters) => SystemExtension;
}

/** The web app with its adapters. */
export interface System {
  readonly app: FastifyInstance;
  readonly repository: ImageRepository;
  /** The storage the app uses (with the extension's decorator, if any). */
  readonly storage: Storage;
  /** How this system asks the workers to run a stage again (see `chooseStageRequester`). */
  readonly requestStage: RequestStage;
  /** The status streams of GET /api/images/events in this process. */
  readonly statusStreams: StatusStreams;
  /** The reconciliation sweep of this process (started; SWEEP_INTERVAL_MS=0 leaves it idle). */
  readonly sweep: ReconciliationSweep;
  /** Stops the app (waiting for requests in flight) and the sweep, lets the extension finish, closes the database. */
  close(): Promise<void>;
}

/** Wires the concrete adapters from config: MySQL or SQLite, S3 or a directory. */
export async function createSystem(options: SystemOptions): Promise<System> {
  const { config, logger } = options;
  const repository = await openRepository({
    database: config.database,
    migrate: options.migrate ?? config.migrate,
    logger: logger.child({ component: 'db' }),
    // RDS rotates the secret's password: re-read it when the database refuses a new login.
    refreshCredentials: createDatabaseUrlRefresher(config),
    // The read replica (DB_READ_HOST) shares the primary's users, and so their rotation.
    refreshReplicaCredentials: createReplicaUrlRefresher(config),
  });
  let sharedCache: SharedCache | undefined;
  try {
    // REDIS_URL: gallery pages and presigned URLs shared with every other web process.
    if (config.redis) {
      sharedCache = await connectSharedCache(config.redis, logger.child({ component: 'shared-cache' }));
    }
    const base = createStorage(config.storage, config.presign, {
      logger: logger.child({ component: 'storage' }),
      ...(sharedCache && { sharedUrlCache: sharedUrlCache(sharedCache) }),
    });
    const statusStreams = new StatusStreams({
      repository,
      storage: base,
      log: logger.child({ component: 'status-streams' }),
      ...config.live,
    });
    const extension =
      options.extend?.({
        config,
        repository,
        storage: base,
        logger,
        stageRecorded: () => statusStreams.changed(),
      }) ?? {};
    const storage: Storage = extension.wrapOriginals
      ? { originals: extension.wrapOriginals(base.originals), thumbnails: base.thumbnails }
      : base;
    const requester = chooseStageRequester(config, storage, extension);
    const { requestStage } = requester;
    const app = await buildServer({
      config,
      repository,
      storage,
      logger,
      requestStage,
      statusStreams,
      ...(sharedCache && { sharedCache }),
    });
    const sweep = new ReconciliationSweep(
      { repository, storage, log: logger.child({ component: 'sweep' }) },
      config.sweep,
    );
    sweep.start();
    return {
      app,
      repository,
      storage,
      requestStage,
      statusStreams,
      sweep,
      async close() {
        try {
          await sweep.stop();
          await app.close();
          // A cut connection can end the server before an aborted upload has cleaned up after itself.
          await app.uploads.whenIdle();
          requester.close();
          await extension.close?.();
        } finally {
          await sharedCache?.close();
          await repository.close();
        }
      },
    };
  } catch (error) {
    await sharedCache?.close();
    await repository.close();
    throw error;
  }
}

/**
 * The web tier's retry path: EventBridge PutEvents when EVENT_BUS_NAME is set (AWS); else the
 * extension's (the embedded system's local bus); else raising the original's Object Created event
 * again, which reaches both workers (the completed stage's worker skips it as already done).
 */
export function chooseStageRequester(
  config: AppConfig,
  storage: Storage,
  extension: SystemExtension,
): StageRequester {
  if (config.events.busName !== undefined) {
    return eventBridgeStageRequester({
      busName: config.events.busName,
      originalsBucket: storage.originals.bucket,
      timeoutMs: config.events.publishTimeoutMs,
      // Outside AWS's own environment the SDK's region chain applies (AWS_REGION).
      clientConfig: config.storage.kind === 's3' ? { region: config.storage.region } : {},
    });
  }
  if (extension.requestStage) return { requestStage: extension.requestStage, close() {} };
  return renotifyStageRequester(storage.originals);
}
