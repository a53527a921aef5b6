/**
 * The AWS Lambda entry point, invoked by the EventBridge rule for new originals. Everything built
 * here is built once per container and reused by every invocation: `createLambdaRuntime` reads the
 * configuration and secrets at init (the Gemini key through GEMINI_API_KEY_SECRET_ARN and the
 * database credentials through DATABASE_SECRET_ARN, so no secret sits in the function's
 * environment), and opens the S3 client and the MySQL pool. The annotator (sharp, and the Gemini
 * SDK or the models, in chunks of the bundle) is imported on the first event, so that init stays
 * short; except the offline vision annotator's (the image built with ANNOTATOR=local), whose models
 * load during init, so that a model that cannot load is logged at start. See BENCHMARKS.md,
 * "Lambda cold starts".
 */

import { createLambdaRuntime, lazyWorker } from '@annot/worker-runtime/lambda';

const runtime = await createLambdaRuntime('annotator');
const { config, logger, storage, repository } = runtime;

const worker = lazyWorker(async () => {
  const [{ default: sharp }, { createAnnotator }, { annotatorSettings, createAnnotationWorker }] =
    await Promise.all([import('sharp'), import('./annotator.ts'), import('./worker.ts')]);
  // Each invocation decodes a different image, so libvips' operation cache would only hold memory.
  sharp.cache(false);
  const settings = annotatorSettings(config);
  const annotator = createAnnotator(settings, {
    onRetry: (retry) => logger.warn('Gemini call failed; retrying after a backoff', { ...retry }),
    // One event at a time per container, and nothing else on its event loop: the vision models run
    // in-process, without a worker thread (README, "The offline vision annotator").
    visionThread: false,
  });
  if (annotator.ready) await annotator.ready();
  logger.info('Annotator ready', {
    annotator: annotator.name,
    model: annotator.model,
    storage: config.storage.kind,
  });
  return createAnnotationWorker({ storage, repository, annotator, settings, logger: runtime.workerLogger });
});
if (config.annotator.kind === 'local' && config.annotator.local === 'vision') await worker.ready();

export const handler = runtime.handler(worker);
