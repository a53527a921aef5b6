import { type AppConfig, createDatabaseUrlRefresher } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import type { LocalEventBus } from '@annot/events';
import { createStorage, type Storage } from '@annot/storage';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { PublishingObjectStore } from './local/publishing-store.ts';
import { startLocalWorkers } from './local/workers.ts';

export interface SystemOptions {
  readonly config: AppConfig;
  readonly logger: FastifyBaseLogger;
  /** Apply pending migrations (default config.migrate; a cluster's workers leave it to the primary). */
  readonly migrate?: boolean;
  /** Run both workers in-process on a local bus (default: LOCAL_WORKERS, with directory storage only). */
  readonly localWorkers?: boolean;
  /** Tests: delay before each worker runs. */
  readonly workerDelayMs?: number;
}

/** The web app with its adapters, and the local workers when the embedded default runs them. */
export interface System {
  readonly app: FastifyInstance;
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly bus: LocalEventBus | null;
  /** Stops the app (waiting for requests in flight), lets the workers finish, closes the database. */
  close(): Promise<void>;
}

/**
 * Wires the concrete adapters from config: MySQL or SQLite, S3 or a directory. With the
 * embedded default, originals are stored through a decorator that publishes S3's "Object
 * Created" event on the local bus, so an upload flows to both workers as it does in AWS.
 */
export async function createSystem(options: SystemOptions): Promise<System> {
  const { config, logger } = options;
  const repository = await openRepository({
    database: config.database,
    migrate: options.migrate ?? config.migrate,
    logger: logger.child({ component: 'db' }),
    // RDS rotates the secret's password: re-read it when the database refuses a new login.
    refreshCredentials: createDatabaseUrlRefresher(config),
  });
  try {
    const base = createStorage(config.storage, config.presign, {
      logger: logger.child({ component: 'storage' }),
    });
    const local = options.localWorkers ?? (config.localWorkers && config.storage.kind === 'directory');
    let bus: LocalEventBus | null = null;
    let storage = base;
    if (local) {
      bus = startLocalWorkers({
        config,
        storage: base,
        repository,
        log: logger.child({ component: 'workers' }),
        ...(options.workerDelayMs === undefined ? {} : { delayMs: options.workerDelayMs }),
      });
      const publish = bus.publish.bind(bus);
      storage = {
        originals: new PublishingObjectStore(base.originals, publish),
        thumbnails: base.thumbnails,
      };
    }
    const app = await buildApp({ config, repository, storage, logger });
    return {
      app,
      repository,
      storage,
      bus,
      async close() {
        try {
          await app.close();
          // A cut connection can end the server before an aborted upload has cleaned up after itself.
          await app.uploads.whenIdle();
          await bus?.drain();
        } finally {
          await repository.close();
        }
      },
    };
  } catch (error) {
    await repository.close();
    throw error;
  }
}
