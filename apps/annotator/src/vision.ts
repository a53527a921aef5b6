import type { CheckedImage } from '@annot/worker-runtime';
import { describeFacts } from './local.ts';
import { analyseImage } from './local-facts.ts';
import type { Annotator, StructuredAnnotation, Tag } from './types.ts';
import {
  createInProcessEngine,
  createThreadEngine,
  type RunOptions,
  type ThreadEngineOptions,
  type VisionEngine,
} from './vision-engine.ts';
import type { VisionModelPaths } from './vision-models.ts';

export const VISION_MODEL = 'local-vision-v1';
/** The model name of annotations written by the facts-only analyser because the vision models did not load. */
export const VISION_FALLBACK_MODEL = 'local-analysis-v1 (fallback: vision models did not load)';
/** The `source` of each kind of tag. */
export const SOURCES = { objects: 'centernet', faces: 'blazeface', safety: 'nsfwjs-mobilenetv2' } as const;

/** Every vision caption starts with this, so nobody mistakes it for a cloud model's words. */
export const VISION_MARKER = 'Local vision models (offline):';

export interface VisionAnnotatorOptions {
  readonly maxInputPixels: number;
  /** Object labels and faces under this confidence are dropped. */
  readonly minLabelConfidence: number;
  /** OCR lines under this confidence are dropped. */
  readonly minTextConfidence: number;
  /** nsfwjs Porn + Hentai + Sexy at or above this marks the image sensitive. */
  readonly sensitiveThreshold: number;
  /** Where the models are; the packages' own folders by default (tests point it elsewhere). */
  readonly modelPaths?: VisionModelPaths;
  /** Where the fallback is said; console.warn by default. */
  readonly warn?: (message: string) => void;
  /**
   * Run the models in a worker thread of their own (the default), so that their seconds of CPU per
   * image do not block this process's event loop; false runs them in-process (Lambda: one event at
   * a time, nothing else waiting).
   */
  readonly thread?: boolean;
  /** Tests: Node options for the thread and a module that wraps it (see ThreadEngineOptions). */
  readonly threadOptions?: Omit<ThreadEngineOptions, 'modelPaths' | 'maxInputPixels'>;
}

/**
 * The offline vision annotator, the embedded default: object labels (CenterNet), a face count
 * (BlazeFace; no age, gender or emotion), text (PaddleOCR) and photo/drawing plus a safety flag
 * (nsfwjs). The models load once, on first use, in a worker thread (or in-process, `thread:
 * false`), and run there one image at a time, with the image's check and decode; the caption is
 * written here. If the models cannot load, it falls back to the facts-only analyser, says
 * so in the log, and writes the fallback's model name.
 */
export function createVisionAnnotator(options: VisionAnnotatorOptions): Annotator & {
  /** Loads the models now (instead of on the first image); resolves false when it fell back. */
  ready(): Promise<boolean>;
  /** Ends the models' thread; an image in progress gets a TransientAnnotationError. */
  close(): Promise<void>;
} {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const engine: VisionEngine =
    options.thread === false
      ? createInProcessEngine(options.modelPaths, options.maxInputPixels)
      : createThreadEngine({
          ...options.threadOptions,
          modelPaths: options.modelPaths,
          maxInputPixels: options.maxInputPixels,
        });
  let model: string = VISION_MODEL;
  let loading: Promise<boolean> | undefined;
  const models = () => {
    loading ??= engine.load().then(
      () => true,
      (error: unknown) => {
        model = VISION_FALLBACK_MODEL;
        warn(
          `Vision models did not load; annotating with the facts-only analyser (model "${VISION_FALLBACK_MODEL}"): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        return false;
      },
    );
    return loading;
  };
  // One image at a time through the models: the WASM backend is single-threaded anyway.
  let queue: Promise<unknown> = Promise.resolve();
  const annotate = async (
    image: CheckedImage,
    runOptions: RunOptions = {},
  ): Promise<StructuredAnnotation> => {
    if (!(await models())) {
      return { annotation: describeFacts(await analyseImage(image, options.maxInputPixels)) };
    }
    const run = queue.then(() => see(engine, image, options, runOptions));
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    name: 'local',
    get model() {
      return model;
    },
    describe: annotate,
    async ready() {
      return models();
    },
    close: () => engine.close(),
  };
}

async function see(
  engine: VisionEngine,
  image: CheckedImage,
  options: VisionAnnotatorOptions,
  runOptions: RunOptions,
): Promise<StructuredAnnotation> {
  const found = await engine.run(image, runOptions);
  const { objects, faces, classes } = found;
  const lines = found.lines.filter((l) => l.confidence >= options.minTextConfidence && l.text.trim() !== '');

  const tags: Tag[] = [];
  const counts = new Map<string, number>();
  for (const o of objects) {
    if (o.score < options.minLabelConfidence) continue;
    const label = o.label.toLowerCase().slice(0, 64);
    counts.set(label, (counts.get(label) ?? 0) + 1);
    const known = tags.find((t) => t.label === label);
    if (!known) tags.push({ label, confidence: round(o.score), source: SOURCES.objects });
    else if (known.confidence < o.score) tags[tags.indexOf(known)] = { ...known, confidence: round(o.score) };
  }
  const faceScores = faces.filter((f) => f.score >= options.minLabelConfidence).map((f) => f.score);
  if (faceScores.length > 0) {
    tags.push({ label: 'face', confidence: round(Math.max(...faceScores)), source: SOURCES.faces });
  }
  const drawing = (classes.Drawing ?? 0) + (classes.Hentai ?? 0);
  const sensitiveShare = (classes.Porn ?? 0) + (classes.Hentai ?? 0) + (classes.Sexy ?? 0);
  // Photo or drawing only when nsfwjs is sure (it calls some close-up photos drawings at 0.8).
  const kind = drawing >= 0.9 ? 'drawing' : drawing <= 0.3 ? 'photo' : 'image';
  if (kind !== 'image') {
    tags.push({
      label: kind,
      confidence: round(kind === 'drawing' ? drawing : 1 - drawing),
      source: SOURCES.safety,
    });
  }
  const safety = sensitiveShare >= options.sensitiveThreshold ? 'sensitive' : 'safe';
  const text = lines.map((l) => l.text.trim()).join('\n');

  return {
    annotation: caption(kind, counts, faceScores.length, text, safety),
    tags: tags.sort((a, b) => b.confidence - a.confidence),
    textInImage: text === '' ? null : text,
    safety,
  };
}

/** "Local vision models (offline): a photo of a dog, 2 people and a chair; 1 face. The text reads "…"." */
function caption(
  kind: 'photo' | 'drawing' | 'image',
  counts: ReadonlyMap<string, number>,
  faces: number,
  text: string,
  safety: 'safe' | 'sensitive',
): string {
  const things = [...counts].map(([label, n]) =>
    n === 1 ? `${article(label)} ${label}` : `${n} ${plural(label)}`,
  );
  const what = { photo: 'a photo', drawing: 'a drawing or graphic', image: 'an image' }[kind];
  let sentence = `${VISION_MARKER} ${what}`;
  sentence += things.length > 0 ? ` of ${list(things)}` : ' with no object the models recognise';
  if (faces > 0) sentence += `; ${faces} ${faces === 1 ? 'face' : 'faces'} detected`;
  sentence += '.';
  if (text !== '') {
    const shown = text.replace(/\s+/g, ' ');
    sentence += ` The text reads "${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}".`;
  }
  if (safety === 'sensitive') sentence += ' Flagged as possibly sensitive.';
  return sentence;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function plural(label: string): string {
  const irregular: Record<string, string> = {
    person: 'people',
    sheep: 'sheep',
    mouse: 'mice',
    knife: 'knives',
    skis: 'skis',
    scissors: 'scissors',
  };
  if (irregular[label]) return irregular[label];
  if (/(s|sh|ch|x)$/.test(label)) return `${label}es`;
  if (/[^aeiou]y$/.test(label)) return `${label.slice(0, -1)}ies`;
  return `${label}s`;
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
