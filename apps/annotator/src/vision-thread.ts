/**
 * The vision annotator's worker thread (node:worker_threads): it loads the models once, when the
 * annotator asks it to, and then checks, decodes and runs them on one image at a time, so their
 * 0.5-2 s of CPU per image (and the decoded pixels' memory) never block the main thread's event loop (the web tier and the thumbnailer beside it in
 * the embedded system). Started by `vision-engine.ts`; in the Lambda bundle it is
 * `chunks/vision-thread.mjs` (build.mjs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { loadVisionModels, runModels, type VisionModels } from './vision-models.ts';
import { type FromThread, sendError, type ThreadData, type ToThread } from './vision-protocol.ts';

const port = parentPort;
if (!port) throw new Error('vision-thread.ts runs as a worker thread of the vision annotator');
const { modelPaths, maxInputPixels } = workerData as ThreadData;
// Each image is a different one, so libvips' operation cache would only hold memory.
sharp.cache(false);

let models: Promise<VisionModels> | undefined;
const reply = (message: FromThread) => port.postMessage(message);

port.on('message', async (message: ToThread) => {
  try {
    if (message.type === 'load') {
      models ??= loadVisionModels(modelPaths);
      reply({ type: 'loaded', id: message.id, loadMs: (await models).loadMs });
      return;
    }
    if (!models) throw new Error('The vision thread was asked to run before it loaded its models');
    const image = { bytes: new Uint8Array(message.bytes), size: message.size, format: message.format };
    reply({ type: 'found', id: message.id, findings: await runModels(await models, image, maxInputPixels) });
  } catch (error) {
    reply({ type: 'failed', id: message.id, error: sendError(error) });
  }
});
