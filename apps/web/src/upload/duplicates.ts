import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageRecord, ImageRepository } from '@annot/db';
import { UploadRefusedError } from './refusal.ts';

/**
 * The upload's bytes are already in the library: its put fails with this (so nothing is stored
 * and no "Object Created" event is raised), and the file's outcome is the existing image.
 */
export class DuplicateContentError extends Error {
  override readonly name = 'DuplicateContentError';
  readonly existing: ImageRecord;
  constructor(existing: ImageRecord) {
    super(`the same bytes are already stored as image ${existing.id}`);
    this.existing = existing;
  }
}

export interface ClaimOptions {
  /** UPLOAD_DUPLICATE_WAIT_MS: how long to wait for another upload of the same bytes to finish. */
  readonly waitMs: number;
  readonly signal: AbortSignal;
}

/** The first pause between looks at an upload of the same bytes still being stored; it doubles. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/**
 * Claims the upload's bytes for its row, just before the original is committed. Resolves when
 * the bytes are this upload's to store. Throws DuplicateContentError with the stored image that
 * already holds them, so the put fails and stores nothing.
 *
 * When the image holding the bytes is itself still being stored (it claimed them but its original
 * is not recorded yet), this waits up to `waitMs` for it: an image whose upload then succeeds is
 * the answer; one whose upload fails (its row withdrawn) frees the bytes, and this upload claims
 * them and is stored as new. So no answer ever names an image that is not stored. Still
 * unfinished after the wait, the file is refused with 409 (nothing stored; send it again).
 */
export async function claimContent(
  repository: ImageRepository,
  originalKey: string,
  sha256: Uint8Array,
  options: ClaimOptions,
): Promise<void> {
  const deadline = performance.now() + options.waitMs;
  let pause = FIRST_POLL_MS;
  for (;;) {
    const holder = await repository.claimContent(originalKey, sha256);
    if (holder === null) return;
    if (holder.byteSize !== null) throw new DuplicateContentError(holder);
    const left = deadline - performance.now();
    if (left <= 0) throw duplicateInProgress();
    await sleep(Math.min(pause, left), undefined, { signal: options.signal });
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

function duplicateInProgress(): UploadRefusedError {
  return new UploadRefusedError(
    'duplicate_in_progress',
    'is the same file as one another upload is storing right now; send it again in a moment',
  );
}
