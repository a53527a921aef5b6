import type { CheckedImage } from '@annot/worker-runtime';
import type { Findings, VisionModelPaths } from './vision-models.ts';

/**
 * The messages between the vision annotator (`vision-engine.ts`, on the main thread) and its
 * worker thread (`vision-thread.ts`), and how an error crosses between them. One owner for both
 * sides, so they cannot drift apart.
 */

/** The thread's workerData. */
export interface ThreadData {
  readonly modelPaths: VisionModelPaths;
  /** MAX_INPUT_PIXELS. */
  readonly maxInputPixels: number;
}

export type ToThread =
  | { readonly type: 'load'; readonly id: number }
  /** One checked image: its bytes transferred (not copied) to the thread, with what the check found. */
  | {
      readonly type: 'run';
      readonly id: number;
      readonly bytes: ArrayBuffer;
      readonly size: number;
      readonly format: CheckedImage['format'];
    };

export type FromThread =
  | { readonly type: 'loaded'; readonly id: number; readonly loadMs: number }
  | { readonly type: 'found'; readonly id: number; readonly findings: Findings }
  | { readonly type: 'failed'; readonly id: number; readonly error: SentError };

/** An error as it crosses the thread boundary (a structured clone would lose its class). */
export interface SentError {
  readonly kind: 'permanent' | 'transient' | 'other';
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** PermanentFailure's detail; TransientAnnotationError's attempts. */
  readonly detail?: string | undefined;
  readonly attempts?: number;
}

/**
 * The error as it crosses. Known by its class's name (each class sets it once, in errors.ts and
 * @annot/worker-runtime), so the thread's bundle needs neither module.
 */
export function sendError(error: unknown): SentError {
  if (!(error instanceof Error))
    return { kind: 'other', name: 'Error', message: String(error), stack: undefined };
  const { name, message, stack } = error;
  const fields = error as Error & { reason?: unknown; detail?: unknown; attempts?: unknown };
  if (name === 'PermanentFailure' && typeof fields.reason === 'string') {
    return {
      kind: 'permanent',
      name,
      message: fields.reason,
      stack,
      detail: typeof fields.detail === 'string' ? fields.detail : undefined,
    };
  }
  if (name === 'TransientAnnotationError') {
    return { kind: 'transient', name, message, stack, attempts: Number(fields.attempts) || 0 };
  }
  return { kind: 'other', name, message, stack };
}
