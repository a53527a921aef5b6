import type { AppConfig } from '@annot/config';
import type { CheckedImage, StageSettings } from '@annot/worker-runtime';

export type { WorkerLogger, WorkerOutcome } from '@annot/worker-runtime';

/** Describes one image in words. */
export interface Annotator {
  readonly name: 'gemini' | 'local';
  /** The model that writes the text, e.g. "gemini-3.5-flash" or "local-analysis-v1". */
  readonly model: string;
  /**
   * Resolves with the description of an image checked by @annot/worker-runtime's checkOriginal.
   * Throws PermanentFailure when this image can never be described (corrupt, over limits,
   * blocked) and TransientAnnotationError when a later attempt may succeed.
   */
  describe(image: CheckedImage, options?: { signal?: AbortSignal }): Promise<string>;
}

export type AnnotatorSettings = AppConfig['annotator'] & StageSettings;
