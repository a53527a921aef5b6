import type { AppConfig } from '@annot/config';
import type { AnnotationResult } from '@annot/db';
import type { CheckedImage, Deadline, DeadlineSettings, StageSettings } from '@annot/worker-runtime';

export type { WorkerLogger, WorkerOutcome } from '@annot/worker-runtime';

/**
 * What an annotator says about one image: the caption (`annotation`, one or two sentences) and,
 * where the annotator can tell, tags, the text found in the image and a content-safety flag.
 * The stored form is @annot/db's AnnotationResult; the worker adds the key, annotator and model.
 */
export type StructuredAnnotation = Pick<AnnotationResult, 'annotation' | 'tags' | 'textInImage' | 'safety'>;

/** Describes one image in words. */
export interface Annotator {
  readonly name: 'gemini' | 'local';
  /** The model that writes the text, e.g. "gemini-3.5-flash" or "local-analysis-v1". */
  readonly model: string;
  /**
   * Resolves with the annotation of an image checked by @annot/worker-runtime's checkOriginal.
   * Throws PermanentFailure when this image can never be described (corrupt, over limits,
   * blocked) and TransientAnnotationError when a later attempt may succeed, or when the deadline
   * leaves no time for one.
   */
  describe(
    image: CheckedImage,
    options?: { signal?: AbortSignal; deadline?: Deadline },
  ): Promise<StructuredAnnotation>;
  /**
   * Loads the models now instead of on the first image (the offline vision annotator); resolves
   * false when they did not load and the annotator fell back. Absent where there is nothing to load.
   */
  ready?(): Promise<boolean>;
  /**
   * Releases what the annotator holds beyond memory (the offline vision annotator's worker
   * thread); an image still being described gets a TransientAnnotationError. Absent where there is nothing to release.
   */
  close?(): Promise<void>;
}

/** One machine-made label: lowercase, at most 64 characters, confidence 0..1, source = the model. */
export type Tag = NonNullable<StructuredAnnotation['tags']>[number];

export type AnnotatorSettings = AppConfig['annotator'] &
  StageSettings & {
    /** WORKER_DEADLINE_MS and DEADLINE_RESERVE_MS. */
    readonly workerDeadline: DeadlineSettings;
  };
