/**
 * The Lambda entry point (bundled by build.mjs to dist/index.mjs, handler "index.handler").
 *
 * Everything at module level runs once per container, at init: `createLambdaRuntime` reads the
 * configuration and secrets, and opens the storage and the repository (migrate: false; see
 * @annot/worker-runtime). The thumbnailer itself (sharp and the pipeline, in a chunk of the
 * bundle) is imported on the first event, so init stays short (see BENCHMARKS.md, "Lambda cold
 * starts"). Invocations only reuse them.
 */

import { createLambdaRuntime, lazyWorker } from '@annot/worker-runtime/lambda';

const runtime = await createLambdaRuntime('thumbnailer');
const { config, logger } = runtime;

const thumbnailer = lazyWorker(async () => {
  const [{ default: sharp }, { createThumbnailer, thumbnailerSettings }] = await Promise.all([
    import('sharp'),
    import('./worker.ts'),
  ]);
  // Each invocation decodes a different image, so libvips' operation cache would only hold memory.
  sharp.cache(false);
  const settings = thumbnailerSettings(config);
  logger.info('Thumbnailer initialised', {
    storage: config.storage.kind,
    database: config.database.kind,
    settings,
  });
  return createThumbnailer({
    storage: runtime.storage,
    repository: runtime.repository,
    settings,
    logger: runtime.workerLogger,
  });
});

/** EventBridge "Object Created" events, one per invocation. */
export const handler = runtime.handler(thumbnailer);
