import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';

/** The logging the workers need; Powertools' Logger satisfies it structurally. */
export interface WorkerLogger {
  debug(message: string, ...extra: object[]): void;
  info(message: string, ...extra: object[]): void;
  warn(message: string, ...extra: object[]): void;
  error(message: string, ...extra: object[]): void;
}

export type WorkerOutcome = { status: 'completed' | 'failed' | 'skipped'; key: string; reason?: string };

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
