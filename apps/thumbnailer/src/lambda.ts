/**
 * The Lambda entry point (bundled by build.mjs to dist/index.mjs, handler "index.handler").
 *
 * Everything at module level runs once per container, at init: configuration from the environment,
 * secrets from Secrets Manager (the database credentials, by DATABASE_SECRET_ARN; never a plain
 * environment variable), the S3 client and the MySQL pool. Invocations only reuse them.
 *
 * Migrations do not run here (migrate: false): the web tier applies them at start, before any
 * upload can raise an event, and a Lambda cold start should neither wait on the migration lock nor
 * need DDL rights.
 */

import { type AppConfig, createDatabaseUrlRefresher, loadConfig, resolveSecrets } from '@annot/config';
import { openRepository } from '@annot/db';
import { createStorage } from '@annot/storage';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import sharp from 'sharp';
import type { WorkerLogger, WorkerOutcome } from './types.ts';
import { createThumbnailer } from './worker.ts';

const POWERTOOLS_LEVELS: Record<AppConfig['logLevel'], LogLevel> = {
  fatal: 'CRITICAL',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
  silent: 'SILENT',
};

const config = await resolveSecrets(loadConfig(process.env));
const logger = new Logger({ serviceName: 'thumbnailer', logLevel: POWERTOOLS_LEVELS[config.logLevel] });

// Powertools types its extra arguments as LogAttributes (or a lone Error/string); the workers only
// ever pass attribute objects, so this adapter is a pure type bridge.
const attributes = (extra: object[]) => extra as LogAttributes[];
const workerLogger: WorkerLogger = {
  debug: (message, ...extra) => logger.debug(message, ...attributes(extra)),
  info: (message, ...extra) => logger.info(message, ...attributes(extra)),
  warn: (message, ...extra) => logger.warn(message, ...attributes(extra)),
  error: (message, ...extra) => logger.error(message, ...attributes(extra)),
};

// Each invocation decodes a different image, so libvips' operation cache would only hold memory.
sharp.cache(false);

const thumbnailer = createThumbnailer({
  storage: createStorage(config.storage, config.presign),
  // RDS rotates the database secret: a warm container re-reads it when a new login is refused.
  repository: await openRepository({
    database: config.database,
    migrate: false,
    refreshCredentials: createDatabaseUrlRefresher(config),
  }),
  settings: {
    ...config.thumbnail,
    maxInputPixels: config.limits.maxInputPixels,
    maxInputBytes: config.limits.maxUploadBytes,
  },
  logger: workerLogger,
});

logger.info('Thumbnailer initialised', {
  storage: config.storage.kind,
  database: config.database.kind,
  thumbnail: config.thumbnail,
  maxInputPixels: config.limits.maxInputPixels,
});

/** EventBridge "Object Created" events, one per invocation. */
export const handler = async (event: unknown, context: Context): Promise<WorkerOutcome> => {
  logger.addContext(context);
  return thumbnailer.handle(event, { requestId: context.awsRequestId });
};
