/**
 * The Lambda entry point (bundled by build.mjs to dist/index.mjs, handler "index.handler").
 *
 * Everything at module level runs once per container, at init: `createLambdaRuntime` reads the
 * configuration and secrets, and opens the storage and the repository (migrate: false; see
 * @annot/worker-runtime). Invocations only reuse them.
 */

import { createLambdaRuntime } from '@annot/worker-runtime/lambda';
import sharp from 'sharp';
import { createThumbnailer, thumbnailerSettings } from './worker.ts';

const runtime = await createLambdaRuntime('thumbnailer');
const { config, logger } = runtime;

// Each invocation decodes a different image, so libvips' operation cache would only hold memory.
sharp.cache(false);

const settings = thumbnailerSettings(config);
const thumbnailer = createThumbnailer({
  storage: runtime.storage,
  repository: runtime.repository,
  settings,
  logger: runtime.workerLogger,
});

logger.info('Thumbnailer initialised', {
  storage: config.storage.kind,
  database: config.database.kind,
  settings,
});

/** EventBridge "Object Created" events, one per invocation. */
export const handler = runtime.handler(thumbnailer);
