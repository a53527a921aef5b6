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
  /** The structured annotation (caption, tags, text, safety), where the annotator has more than a caption. */
  annotate?(image: CheckedImage, options?: { signal?: AbortSignal }): Promise<StructuredAnnotation>;
}

/** One machine-made label: lowercase, at most 64 characters, confidence 0..1, source = the model. */
export interface Tag {
  readonly label: string;
  readonly confidence: number;
  readonly source: string;
}

/** What an annotator finds in an image; the fields beside the caption match @annot/db's AnnotationResult. */
export interface StructuredAnnotation {
  /** The caption, one or two sentences. */
  readonly annotation: string;
  readonly tags?: readonly Tag[];
  /** Text read in the image (OCR); null when none was found. */
  readonly textInImage?: string | null;
  readonly safety?: 'safe' | 'sensitive' | null;
}

export type AnnotatorSettings = AppConfig['annotator'] & StageSettings;
