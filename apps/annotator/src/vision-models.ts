import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { type CheckedImage, decoding } from '@annot/worker-runtime';
import sharp from 'sharp';
import { inspectImage, openImage } from './inspect.ts';

/**
 * The offline vision models, all with their weights inside npm packages (nothing is fetched at
 * run time): @vladmandic/human's CenterNet (80 COCO object classes) and BlazeFace (face count
 * only) on @tensorflow/tfjs-backend-wasm, nsfwjs's MobileNetV2 (photo or drawing, safety) on the
 * same backend, and PaddleOCR v4 through @gutenye/ocr-node on onnxruntime-node.
 */

/** A detected object or face, in the image's raw pixel space. */
export interface Detection {
  readonly label: string;
  readonly score: number;
}

export interface OcrLine {
  readonly text: string;
  readonly confidence: number;
}

export interface Pixels {
  /** Packed RGB, 3 bytes a pixel. */
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface VisionModels {
  detect(pixels: Pixels): Promise<{ objects: Detection[]; faces: Detection[] }>;
  /** nsfwjs's five classes (Drawing, Hentai, Neutral, Porn, Sexy) with their probabilities. */
  classify(pixels: Pixels): Promise<Record<string, number>>;
  /** Reads the text of an encoded (PNG) image, line by line. */
  readText(png: Buffer): Promise<OcrLine[]>;
  /** How long loading took, in ms. */
  readonly loadMs: number;
}

export interface VisionModelPaths {
  /** Folder of @vladmandic/human's models (centernet.json, blazeface.json); default: the package's own. */
  readonly humanModels?: string;
}

/** What the models found in one image: the raw outputs, before thresholds and the caption. */
export interface Findings {
  readonly objects: Detection[];
  readonly faces: Detection[];
  /** nsfwjs's five classes with their probabilities. */
  readonly classes: Record<string, number>;
  readonly lines: OcrLine[];
}

/** Longest edge given to the models: PaddleOCR reads text best at up to 1280 px. */
const MODEL_EDGE = 1280;

/**
 * Checks and decodes one image (upright, flattened, sRGB, at most 1280 px, once for all the
 * models), then runs every model on it, one after the other. Throws PermanentFailure for an image
 * that cannot be decoded or is over the pixel limit. `checkpoint` is called before each model and
 * may throw to stop (a deadline passed, the caller gave up). This is the CPU-heavy part: the vision
 * annotator runs it in its worker thread (`vision-thread.ts`), or in-process where nothing else
 * shares the event loop (Lambda).
 */
export async function runModels(
  models: VisionModels,
  image: CheckedImage,
  maxInputPixels: number,
  checkpoint: () => void = () => {},
): Promise<Findings> {
  await inspectImage(image, maxInputPixels);
  const { data, info } = await decoding(
    () =>
      openImage(image, maxInputPixels)
        .rotate()
        .resize({ width: MODEL_EDGE, height: MODEL_EDGE, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true }),
    image,
    maxInputPixels,
  );
  const pixels: Pixels = { data, width: info.width, height: info.height };
  checkpoint();
  const { objects, faces } = await models.detect(pixels);
  checkpoint();
  const classes = await models.classify(pixels);
  checkpoint();
  const png = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  const lines = await models.readText(png);
  return { objects, faces, classes, lines };
}

const require = createRequire(import.meta.url);

let shared: Promise<VisionModels> | undefined;

/** Loads the models once per process; later calls share the first load (or its failure). */
export function loadVisionModels(paths: VisionModelPaths = {}): Promise<VisionModels> {
  if (paths.humanModels !== undefined) return contained(() => load(paths));
  shared ??= contained(() => load(paths));
  return shared;
}

/* The libraries below are plain JavaScript without usable types for these entry points. */
// biome-ignore lint/suspicious/noExplicitAny: untyped third-party modules
type Untyped = any;

async function load(paths: VisionModelPaths): Promise<VisionModels> {
  const started = performance.now();
  const tf: Untyped = require('@tensorflow/tfjs-core');
  const wasm: Untyped = require('@tensorflow/tfjs-backend-wasm');
  // The package's own dist folder, not the CDN that is the default.
  // (its main is dist/tf-backend-wasm.node.js, next to the .wasm files).
  const wasmDir = `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`;
  wasm.setWasmPaths(wasmDir);
  registerFileRouter(tf);

  // human's exports map offers its Node builds only as the tfjs-node ones; require the WASM build by path.
  const humanDir = path.dirname(path.dirname(require.resolve('@vladmandic/human')));
  const { Human }: Untyped = require(path.join(humanDir, 'dist', 'human.node-wasm.js'));
  const humanModels = paths.humanModels ?? path.join(humanDir, 'models');
  const human = new Human({
    backend: 'wasm',
    wasmPath: wasmDir,
    modelBasePath: `file://${humanModels}/`,
    cacheSensitivity: 0,
    debug: false,
    warmup: 'none',
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, rotation: false, maxDetected: 50, minConfidence: 0.2, return: false },
      mesh: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    object: { enabled: true, modelPath: 'centernet.json', minConfidence: 0.2, maxDetected: 30 },
  });
  await human.load();
  // human logs and carries on when a model file is missing; a model without weights is a failed load.
  for (const name of ['centernet', 'blazeface']) {
    if (!human.models?.models?.[name]?.artifacts) throw new Error(`${name} did not load from ${humanModels}`);
  }

  const nsfw = await loadNsfw(tf);

  const ocr = await loadOcr();

  return {
    loadMs: performance.now() - started,
    async detect(pixels) {
      const input = tf.tensor4d(toInt32(pixels), [1, pixels.height, pixels.width, 3], 'int32');
      try {
        const result = await human.detect(input);
        return {
          objects: result.object.map((o: Untyped) => ({ label: String(o.label), score: Number(o.score) })),
          faces: result.face.map((f: Untyped) => ({ label: 'face', score: Number(f.boxScore ?? f.score) })),
        };
      } finally {
        input.dispose();
      }
    },
    async classify(pixels) {
      const input = tf.tensor3d(toInt32(pixels), [pixels.height, pixels.width, 3], 'int32');
      try {
        const predictions: { className: string; probability: number }[] = await nsfw.classify(input, 5);
        return Object.fromEntries(predictions.map((p) => [p.className, p.probability]));
      } finally {
        input.dispose();
      }
    },
    async readText(png) {
      // @gutenye/ocr-node passes its argument to sharp, which takes a buffer as well as a path.
      const lines: { text: string; mean: number }[] = await ocr.detect(png as unknown as string);
      return lines.map((l) => ({ text: l.text, confidence: l.mean }));
    },
  };
}

/**
 * nsfwjs's MobileNetV2, read from the files inside the package. Its own loader (`load('MobileNetV2')`)
 * spends over 10 s turning the 3.5 MB base64 weight module into a namespace object, one property per
 * character; this hands the same model to nsfwjs from memory instead.
 */
async function loadNsfw(tf: Untyped): Promise<Untyped> {
  const nsfwjs: Untyped = require('nsfwjs');
  const dir = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  const modelJson = require(path.join(dir, 'model.min.js'));
  const weights = Buffer.from(require(path.join(dir, 'group1-shard1of1.min.js')) as string, 'base64');
  const handler = tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  });
  return nsfwjs.load(handler, { size: 224 });
}

function toInt32(pixels: Pixels): Int32Array {
  return Int32Array.from(pixels.data);
}

/**
 * tfjs fetches model URLs, and Node's fetch has no file://: this router reads a graph model and
 * its weight shards from disk.
 */
let routerRegistered = false;
function registerFileRouter(tf: Untyped): void {
  if (routerRegistered) return;
  routerRegistered = true;
  tf.io.registerLoadRouter((url: unknown) => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    const file = decodeURIComponent(new URL(first).pathname);
    return {
      async load() {
        const json = JSON.parse(await readFile(file, 'utf8'));
        const weightSpecs: unknown[] = [];
        const shards: Buffer[] = [];
        for (const group of json.weightsManifest ?? []) {
          weightSpecs.push(...group.weights);
          for (const shard of group.paths) shards.push(await readFile(path.join(path.dirname(file), shard)));
        }
        const all = Buffer.concat(shards);
        return {
          modelTopology: json.modelTopology,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          weightSpecs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        };
      },
    };
  });
}

/**
 * @gutenye/ocr-node pulls in @techstark/opencv-js, and tfjs-backend-wasm is an Emscripten module:
 * both install process-wide handlers that re-throw uncaught exceptions and unhandled rejections
 * (opencv-js printing megabytes of its own source). Every such handler added while `task` (the
 * models' load) runs is removed again, so the process's (or the thread's) own error handling stays
 * in charge: an uncaught exception in the models' thread ends that thread, which the annotator
 * replaces.
 */
async function contained<T>(task: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'uncaughtException'))]));
  try {
    return await task();
  } finally {
    for (const event of events) {
      for (const listener of process.listeners(event as 'uncaughtException')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
  }
}

async function loadOcr(): Promise<Untyped> {
  const { default: Ocr }: Untyped = await import('@gutenye/ocr-node');
  // One intra-op thread per core this process may run on (affinity included, so a bench pinned to
  // one core gets one thread rather than threads contending for it).
  const threads = availableParallelism();
  return quietly(() =>
    Ocr.create({
      // No arena: it keeps the peak of the largest image for the life of the process.
      onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1, enableCpuMemArena: false },
    }),
  );
}

/** Runs a model load with console.log silenced (nsfwjs and the OCR print banners while loading). */
async function quietly<T>(task: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await task();
  } finally {
    console.log = log;
  }
}
