import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { WorkerLogger } from '@annot/worker-runtime';

// Defined once for both workers (packages/worker-runtime/README.md); re-exported as this worker's API.
export type { WorkerLogger, WorkerOutcome } from '@annot/worker-runtime';

/** Describes one image in words. */
export interface Annotator {
  readonly name: 'gemini' | 'local';
  /** The model that writes the text, e.g. "gemini-3.5-flash" or "local-analysis-v1". */
  readonly model: string;
  /**
   * Resolves with the description. Throws PermanentAnnotationError when this image can never be
   * described (not an image, corrupt, over limits, blocked) and TransientAnnotationError when a
   * later attempt may succeed.
   */
  describe(
    image: { bytes: Uint8Array; contentType: string },
    options?: { signal?: AbortSignal },
  ): Promise<string>;
}

export type AnnotatorSettings = AppConfig['annotator'] & {
  readonly maxInputPixels: number;
  /** Originals larger than this are refused before being read (default 50 MiB, as MAX_UPLOAD_BYTES). */
  readonly maxInputBytes?: number;
};

export interface AnnotationWorkerDeps {
  readonly storage: Storage;
  readonly repository: ImageRepository;
  readonly annotator: Annotator;
  readonly settings: AnnotatorSettings;
  readonly logger: WorkerLogger;
}
