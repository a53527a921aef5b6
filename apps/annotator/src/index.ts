export { type AnnotatorHooks, createAnnotator } from './annotator.ts';
export { AnnotatorConfigurationError, TransientAnnotationError } from './errors.ts';
export { createGeminiAnnotator, type GeminiAnnotatorOptions } from './gemini.ts';
export { createLocalAnnotator, LOCAL_MARKER, LOCAL_MODEL } from './local.ts';
export { DESCRIBE_PROMPT } from './prompt.ts';
export type {
  Annotator,
  AnnotatorSettings,
  StructuredAnnotation,
  Tag,
  WorkerLogger,
  WorkerOutcome,
} from './types.ts';
export {
  createVisionAnnotator,
  SOURCES,
  VISION_FALLBACK_MODEL,
  VISION_MARKER,
  VISION_MODEL,
  type VisionAnnotatorOptions,
} from './vision.ts';
export { type AnnotationWorkerDeps, annotatorSettings, createAnnotationWorker } from './worker.ts';
