/**
 * The AWS Lambda entry point, invoked by the EventBridge rule for new originals. Everything built
 * here is built once per container, at import, and reused by every invocation: `createLambdaRuntime`
 * reads the configuration and secrets (the Gemini key through GEMINI_API_KEY_SECRET_ARN and the
 * database credentials through DATABASE_SECRET_ARN, so no secret sits in the function's
 * environment), and opens the S3 client and the MySQL pool; this module adds the Gemini client.
 */

import { createLambdaRuntime } from '@annot/worker-runtime/lambda';
import sharp from 'sharp';
import { createAnnotator } from './annotator.ts';
import { annotatorSettings, createAnnotationWorker } from './worker.ts';

const runtime = await createLambdaRuntime('annotator');
const { config, logger, storage, repository } = runtime;

// Each invocation decodes a different image, so libvips' operation cache would only hold memory.
sharp.cache(false);

const settings = annotatorSettings(config);
const annotator = createAnnotator(settings, {
  onRetry: (retry) => logger.warn('Gemini call failed; retrying after a backoff', { ...retry }),
});
const worker = createAnnotationWorker({
  storage,
  repository,
  annotator,
  settings,
  logger: runtime.workerLogger,
});
logger.info('Annotator ready', {
  annotator: annotator.name,
  model: annotator.model,
  storage: config.storage.kind,
});

export const handler = runtime.handler(worker);
