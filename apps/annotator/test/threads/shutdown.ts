/**
 * Run as its own process by vision-thread.test.ts: annotates one image in the models' thread,
 * starts a second, closes the annotator while that one is in progress, prints what happened as
 * one JSON line, and then must end by itself (no process.exit): a thread left running would keep
 * it alive, and the test would time out.
 */
import { readFile } from 'node:fs/promises';
import { fixturePath } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import { createVisionAnnotator } from '../../src/vision.ts';

const annotator = createVisionAnnotator({
  maxInputPixels: 60_000_000,
  minLabelConfidence: 0.35,
  minTextConfidence: 0.8,
  sensitiveThreshold: 0.7,
});
const image = await checkOriginal(
  new Uint8Array(await readFile(fixturePath('Channel_digital_image_CMYK_color.jpg'))),
);
const first = await annotator.describe(image);
const second = annotator.describe(image).then(
  () => 'annotated',
  (error: Error) => `${error.name}: ${error.message}`,
);
await annotator.close();
console.log(JSON.stringify({ first: first.tags?.map((t) => t.label), second: await second }));
