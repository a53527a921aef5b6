/**
 * What every worker Lambda builds once per container, at init: configuration from the
 * environment, secrets from Secrets Manager (the database credentials by DATABASE_SECRET_ARN, the
 * Gemini key by GEMINI_API_KEY_SECRET_ARN; never a plain environment variable), the Powertools
 * Logger, the S3 client and the MySQL pool. Invocations only reuse them.
 *
 * Migrations do not run here (migrate: false): in AWS the deployment's migration function
 * (./migrate.ts) applies them before the workers are updated, and a cold start should neither wait
 * on the migration lock nor need DDL rights.
 */
import {
  type AppConfig,
  createDatabaseUrlRefresher,
  loadConfig,
  resolveSecrets,
  type SecretFetcher,
  secretsManagerFetcher,
} from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { createStorage, type Storage } from '@annot/storage';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { EventWorker, WorkerLogger, WorkerOutcome } from '../types.ts';
import { createPowertoolsLogger, detailsFirstLoggerFor, workerLoggerFor } from './logger.ts';

export interface LambdaRuntime {
  readonly config: AppConfig;
  /** The Powertools Logger, for the entry point's own lines (init, retries). */
  readonly logger: Logger;
  /** The same logger in the shape the worker cores take. */
  readonly workerLogger: WorkerLogger;
  readonly storage: Storage;
  readonly repository: ImageRepository;
  /** The Lambda handler for a worker core: one EventBridge event per invocation. */
  handler(worker: EventWorker): (event: unknown, context: Context) => Promise<WorkerOutcome>;
}

export interface LambdaRuntimeOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to Secrets Manager (through Powertools, which caches values). */
  readonly fetchSecret?: SecretFetcher;
}

export async function createLambdaRuntime(
  serviceName: string,
  options: LambdaRuntimeOptions = {},
): Promise<LambdaRuntime> {
  const fetchSecret = options.fetchSecret ?? secretsManagerFetcher;
  const config = await resolveSecrets(loadConfig(options.env ?? process.env), fetchSecret);
  const logger = createPowertoolsLogger(serviceName, config.logLevel);
  const packageLogger = detailsFirstLoggerFor(logger);
  const storage = createStorage(config.storage, config.presign, { logger: packageLogger });
  // RDS rotates the database secret: a warm container re-reads it when a new login is refused.
  const repository = await openRepository({
    database: config.database,
    migrate: false,
    logger: packageLogger,
    refreshCredentials: createDatabaseUrlRefresher(config, fetchSecret),
  });
  return {
    config,
    logger,
    workerLogger: workerLoggerFor(logger),
    storage,
    repository,
    handler: (worker) => async (event, context) => {
      // Adds function_request_id and the cold-start flag to every line of this invocation.
      logger.addContext(context);
      // The function's own clock: the workers' attempts and waits stop before it runs out.
      return worker.handle(event, {
        requestId: context.awsRequestId,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
    },
  };
}
