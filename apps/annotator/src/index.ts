export { type AnnotatorHooks, createAnnotator } from './annotator.ts';
export { AnnotatorConfigurationError, PermanentAnnotationError, TransientAnnotationError } from './errors.ts';
export { createGeminiAnnotator, type GeminiAnnotatorOptions } from './gemini.ts';
export { createLocalAnnotator, LOCAL_MARKER, LOCAL_MODEL } from './local.ts';
export { DESCRIBE_PROMPT } from './prompt.ts';
export type {
  AnnotationWorkerDeps,
  Annotator,
  AnnotatorSettings,
  WorkerLogger,
  WorkerOutcome,
} from './types.ts';
export { createAnnotationWorker } from './worker.ts';
