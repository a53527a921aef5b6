import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { WorkerLogger } from '@annot/worker-runtime';

// Defined once for both workers (packages/worker-runtime/README.md); re-exported as this worker's API.
export type { WorkerLogger, WorkerOutcome } from '@annot/worker-runtime';

export type ThumbnailerSettings = AppConfig['thumbnail'] & {
  maxInputPixels: number;
  /** Originals larger than this are refused before being read (default 50 MiB). */
  maxInputBytes?: number;
};

export interface ThumbnailerDeps {
  storage: Storage;
  repository: ImageRepository;
  settings: ThumbnailerSettings;
  logger: WorkerLogger;
}
