/**
 * The AWS Lambda entry point, invoked by the EventBridge rule for new originals. Everything built
 * here (config, the Gemini key from Secrets Manager, the S3 client, the MySQL pool, the Gemini
 * client) is built once per container, at import, and reused by every invocation.
 */

import { createDatabaseUrlRefresher, type LogLevel, loadConfig, resolveSecrets } from '@annot/config';
import { openRepository } from '@annot/db';
import { createStorage } from '@annot/storage';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel as PowertoolsLevel } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import sharp from 'sharp';
import { createAnnotator } from './annotator.ts';
import type { AnnotatorSettings, WorkerLogger, WorkerOutcome } from './types.ts';
import { createAnnotationWorker } from './worker.ts';

const POWERTOOLS_LEVEL: Record<LogLevel, PowertoolsLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'SILENT',
};

// The Gemini key arrives through GEMINI_API_KEY_SECRET_ARN and the database credentials through
// DATABASE_SECRET_ARN: resolveSecrets reads both from Secrets Manager, so no secret sits in the
// function's environment.
const config = await resolveSecrets(loadConfig(process.env));
const logger = new Logger({ serviceName: 'annotator', logLevel: POWERTOOLS_LEVEL[config.logLevel] });
// Powertools types its extra arguments as LogAttributes; the worker only passes attribute objects,
// so this adapter is a pure type bridge.
const attributes = (extra: object[]) => extra as LogAttributes[];
const workerLogger: WorkerLogger = {
  debug: (message, ...extra) => logger.debug(message, ...attributes(extra)),
  info: (message, ...extra) => logger.info(message, ...attributes(extra)),
  warn: (message, ...extra) => logger.warn(message, ...attributes(extra)),
  error: (message, ...extra) => logger.error(message, ...attributes(extra)),
};

// Each invocation decodes a different image, so libvips' operation cache would only hold memory.
sharp.cache(false);

const settings: AnnotatorSettings = {
  ...config.annotator,
  maxInputPixels: config.limits.maxInputPixels,
  maxInputBytes: config.limits.maxUploadBytes,
};
const storage = createStorage(config.storage, config.presign);
// The web tier owns migrations; a worker never changes the schema. RDS rotates the database
// secret: a warm container re-reads it when a new login is refused.
const repository = await openRepository({
  database: config.database,
  migrate: false,
  refreshCredentials: createDatabaseUrlRefresher(config),
});
const annotator = createAnnotator(settings, {
  onRetry: (retry) => logger.warn('Gemini call failed; retrying after a backoff', { ...retry }),
});
const worker = createAnnotationWorker({ storage, repository, annotator, settings, logger: workerLogger });
logger.info('Annotator ready', {
  annotator: annotator.name,
  model: annotator.model,
  storage: config.storage.kind,
});

export async function handler(event: unknown, context: Context): Promise<WorkerOutcome> {
  logger.addContext(context);
  return worker.handle(event, { requestId: context.awsRequestId });
}
