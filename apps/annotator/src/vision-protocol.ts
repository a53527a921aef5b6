import { PermanentFailure } from '@annot/worker-runtime';
import { TransientAnnotationError } from './errors.ts';
import type { Findings, VisionModelPaths } from './vision-models.ts';

/**
 * The messages between the vision annotator (`vision-engine.ts`, on the main thread) and its
 * worker thread (`vision-thread.ts`), and how an error crosses between them. One owner for both
 * sides, so they cannot drift apart.
 */

/** The thread's workerData. */
export interface ThreadData {
  readonly modelPaths: VisionModelPaths;
}

export type ToThread =
  | { readonly type: 'load'; readonly id: number }
  /** `pixels` is packed RGB, transferred (not copied) to the thread. */
  | {
      readonly type: 'run';
      readonly id: number;
      readonly pixels: ArrayBuffer;
      readonly width: number;
      readonly height: number;
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

export function sendError(error: unknown): SentError {
  if (error instanceof PermanentFailure) {
    return {
      kind: 'permanent',
      name: error.name,
      message: error.reason,
      stack: error.stack,
      detail: error.detail,
    };
  }
  if (error instanceof TransientAnnotationError) {
    return {
      kind: 'transient',
      name: error.name,
      message: error.message,
      stack: error.stack,
      attempts: error.attempts,
    };
  }
  if (error instanceof Error)
    return { kind: 'other', name: error.name, message: error.message, stack: error.stack };
  return { kind: 'other', name: 'Error', message: String(error), stack: undefined };
}

/** The same class on this side: PermanentFailure, TransientAnnotationError, or an Error of the same name. */
export function receivedError(sent: SentError): Error {
  let error: Error;
  if (sent.kind === 'permanent') {
    error = new PermanentFailure(sent.message, sent.detail === undefined ? {} : { detail: sent.detail });
  } else if (sent.kind === 'transient') {
    error = new TransientAnnotationError(sent.message, sent.attempts ?? 0);
  } else {
    error = new Error(sent.message);
    if (sent.name !== 'Error') Object.defineProperty(error, 'name', { value: sent.name, configurable: true });
  }
  // The stack of where it was thrown, in the thread.
  if (sent.stack) error.stack = sent.stack;
  return error;
}
