import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ImageRecord, ImageRepository } from '@annot/db';
import { createIntegrityCheck, type IntegrityCheck } from '@annot/image-rules';
import { displayFilename, thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import { isUnavailable } from '../unavailable.ts';
import { claimContent, DuplicateContentError } from './duplicates.ts';
import { HeadReader } from './head-reader.ts';
import { inspectUpload } from './inspect.ts';
import type { UploadReclaimer } from './reclaim.ts';
import { tooLarge, UploadRefusedError } from './refusal.ts';

/** A multipart file part, as much of it as the pipeline uses. */
export interface IncomingFile {
  readonly filename: string;
  readonly file: AsyncIterable<Buffer> & { readonly truncated: boolean; destroy(error?: Error): void };
}

export interface AcceptDeps {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly limits: {
    readonly maxUploadBytes: number;
    readonly maxInputPixels: number;
    /** UPLOAD_DUPLICATE_WAIT_MS: how long a file waits for another upload of the same bytes. */
    readonly uploadDuplicateWaitMs: number;
  };
  readonly log: FastifyBaseLogger;
  /** Told of every body chunk passed on to storage (frees the dead Buffers of large uploads). */
  readonly reclaimer?: UploadReclaimer | undefined;
  /** The uploading browser's id (auth/permissions.ts), recorded on each row. */
  readonly uploader?: string | null | undefined;
}

/** A file of an upload, as it ended: stored as a new image, or found already in the library. */
export interface AcceptedFile {
  readonly record: ImageRecord;
  /** True when the bytes were already stored: `record` is that image, and nothing new was stored. */
  readonly duplicate: boolean;
}

/**
 * One file of an upload, start to finish: inspect its first bytes, write the pending row, stream
 * the whole file to the originals bucket while walking its structure and hashing it (a file cut
 * short or broken fails the put at its last byte, so it is never stored). After the last byte and
 * before the store commits the object, the bytes' SHA-256 is claimed for the row (see
 * duplicates.ts): bytes already in the library fail the put, so nothing is stored and no event is
 * raised, the row is withdrawn, and the existing image is the file's outcome.
 * Refusals throw UploadRefusedError. On any failure the
 * row is deleted and the object is absent (the store's put is atomic, and is deleted again in
 * case an adapter committed it before the failure), and the rest of the part is read off so the
 * next file of the request can be parsed.
 *
 * The row comes first: storing the object raises S3's "Object Created" event, which cannot be
 * taken back, so the put is the last step that can fail an upload, and the workers always find
 * the row of an object they are told about. Its size is known only after the put, and is then
 * filled in by one named write (recordOriginalSize).
 */
export async function acceptFile(
  part: IncomingFile,
  deps: AcceptDeps,
  signal: AbortSignal,
): Promise<AcceptedFile> {
  const filename = displayFilename(part.filename);
  const reader = new HeadReader(part.file);
  const truncated = () => part.file.truncated;
  let key: string | undefined;
  let refusal: UploadRefusedError | undefined;
  let duplicate: DuplicateContentError | undefined;
  // An abort must not wait for a stalled client's next bytes: failing the source unwinds the put.
  const abortSource = () =>
    part.file.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', abortSource, { once: true });
  try {
    const image = await inspectUpload(reader, { ...deps.limits, truncated });
    signal.throwIfAborted();
    key = uploadKey(part.filename, { extension: image.format.extension });
    const pending = await deps.repository.createPending({
      filename,
      originalKey: key,
      contentType: image.format.contentType,
      byteSize: null,
      width: image.width,
      height: image.height,
      uploader: deps.uploader ?? null,
    });

    const refuse = (error: UploadRefusedError) => {
      refusal = error;
      return error;
    };
    const rowKey = key;
    let digest: Buffer | undefined;
    const claim = async (sha256: Buffer) => {
      digest = sha256;
      try {
        await claimContent(deps.repository, rowKey, sha256, {
          waitMs: deps.limits.uploadDuplicateWaitMs,
          signal,
        });
      } catch (error) {
        if (error instanceof DuplicateContentError) duplicate = error;
        if (error instanceof UploadRefusedError) refusal = error;
        throw error;
      }
    };
    const counted = checkBytes(reader.replay(), {
      maxBytes: deps.limits.maxUploadBytes,
      truncated,
      refuse,
      integrity: createIntegrityCheck(image.format),
      hash: createHash('sha256'),
      claim,
      reclaimer: deps.reclaimer,
    });
    const body = Readable.from(counted, { objectMode: false });
    const stored = await deps.storage.originals.put(key, body, {
      contentType: image.format.contentType,
      signal,
      // The hash taken as the bytes passed: S3 checks the stored bytes against it.
      sha256: () => digest,
    });
    // An adapter must fail the put when its body fails; guard anyway.
    if (refusal) throw refusal;
    if (duplicate) throw duplicate;

    await recordOriginalSize(deps, key, stored.size);
    // The row as it was accepted (both stages pending), whatever the workers have done since.
    return { record: { ...pending, byteSize: stored.size }, duplicate: false };
  } catch (error) {
    const failure = refusal ?? duplicate ?? error;
    if (failure instanceof DuplicateContentError) {
      // Its whole body was read: withdraw the row (and the object, should an adapter have
      // committed it after all), and answer with the image that holds these bytes.
      if (key !== undefined) await removeUpload(deps, key);
      return { record: failure.existing, duplicate: true };
    }
    if (failure instanceof UploadRefusedError) {
      // The file's own fault: the request goes on to its next file, so this one is read off.
      if (key !== undefined) await removeUpload(deps, key);
      // When shutting down, the rest of the request is not worth waiting for (the client may be stalled).
      if (!signal.aborted) await reader.drain().catch(() => {});
    } else {
      // A dependency, the client or a bug: the request ends here (no further file is read and the
      // connection is closed), so the rest of this file is not read either. A cleanup that waits
      // on a dependency that does not answer would hold the answer for another timeout: it goes on
      // in the background, and the reconciliation sweep removes whatever it could not.
      part.file.destroy();
      if (key !== undefined) {
        const cleanup = removeUpload(deps, key);
        if (!isUnavailable(failure)) await cleanup;
      }
    }
    throw failure;
  } finally {
    signal.removeEventListener('abort', abortSource);
  }
}

/**
 * The upload has already succeeded at this point (the object is stored, its event raised), so a
 * database failure here is only logged: the thumbnailer records the original's size too, and the
 * reconciliation sweep repairs a row left without one. A row that is gone was removed by the sweep
 * (the upload ran longer than STALE_UPLOAD_MS): the upload fails and its object is withdrawn.
 */
async function recordOriginalSize(deps: AcceptDeps, key: string, byteSize: number): Promise<void> {
  let found: boolean;
  try {
    found = await deps.repository.recordOriginalSize(key, byteSize);
  } catch (error) {
    deps.log.warn({ err: error, key }, 'stored original, but could not record its size');
    return;
  }
  if (!found) {
    throw new Error(
      `the row of ${key} was swept while its upload was still running (longer than STALE_UPLOAD_MS)`,
    );
  }
}

interface CheckOptions {
  readonly maxBytes: number;
  /** True once the multipart parser cut the file at the size limit. */
  readonly truncated: () => boolean;
  /** Records the refusal and returns it, for the stream to fail with. */
  readonly refuse: (error: UploadRefusedError) => Error;
  readonly integrity: IntegrityCheck;
  /** SHA-256 of the bytes, computed in the same pass. */
  readonly hash: Hash;
  /** Called with the digest after the last byte, before the store commits: throws to fail the put. */
  readonly claim: (sha256: Buffer) => Promise<void>;
  readonly reclaimer: UploadReclaimer | undefined;
}

/**
 * Passes chunks through, failing the stream as soon as the file is over the limit, or at its end
 * when its structure is incomplete or broken, or its bytes are already stored: the put then fails
 * and nothing is stored. The end of this generator runs before any store commits the object (S3's
 * PutObject or CompleteMultipartUpload is sent only once the body has ended, the directory store
 * renames its temp file after, and the embedded system's event is raised after the inner put).
 */
async function* checkBytes(source: AsyncIterable<Buffer>, options: CheckOptions): AsyncGenerator<Buffer> {
  const overLimit = () => options.refuse(tooLarge(options.maxBytes));
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    // The multipart parser delivers exactly maxBytes of an over-size file and flags it truncated.
    if (total > options.maxBytes || options.truncated()) throw overLimit();
    options.integrity.update(chunk);
    options.hash.update(chunk);
    options.reclaimer?.received(chunk.length);
    yield chunk;
  }
  if (options.truncated()) throw overLimit();
  const problem = options.integrity.finish();
  if (problem) throw options.refuse(UploadRefusedError.of(problem));
  await options.claim(options.hash.digest());
}

async function removeUpload(deps: AcceptDeps, key: string): Promise<void> {
  const results = await Promise.allSettled([
    deps.storage.originals.delete(key),
    // The row before the thumbnail: a worker that records after the row is gone removes its own.
    deps.repository.deleteByOriginalKey(key).then(() => deps.storage.thumbnails.delete(thumbnailKeyFor(key))),
  ]);
  for (const result of results) {
    if (result.status === 'rejected') {
      deps.log.error({ err: result.reason, key }, 'could not clean up a failed upload');
    }
  }
}
