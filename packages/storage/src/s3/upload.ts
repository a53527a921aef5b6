import { pipeline, type Readable, Transform } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface StreamUploadInput {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly contentLength?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Part size in bytes (lib-storage's minimum is 5 MiB, its default too). */
  readonly partSize?: number | undefined;
  /** Parts uploaded at once; each holds one part in memory. */
  readonly queueSize: number;
  /** Called when aborting a failed multipart upload fails too (the original error is still thrown). */
  readonly onCleanupError: (error: unknown, uploadId: string) => void;
}

/**
 * Streams a body to S3 with lib-storage: one PutObject when it fits in one part, else a multipart
 * upload. On failure or abort, no object and no multipart upload is left, and this promise settles
 * only after the cleanup did.
 *
 * Two of lib-storage's own behaviours are worked around. Its `abort()` makes `done()` reject at
 * once while parts are still in flight and the AbortMultipartUpload is sent later (or not at all);
 * so the caller's signal is not passed to it: instead the body is destroyed, which fails the upload
 * from inside, and `done()` then settles after all in-flight parts. And its own cleanup throws the
 * abort's error in place of the original one; so `leavePartsOnError` is set and the abort is done
 * here, where a failing abort cannot hide why the upload failed.
 */
export async function uploadStream(
  input: StreamUploadInput,
): Promise<{ etag: string | undefined; size: number }> {
  const { client, bucket, key, body, signal } = input;
  signal?.throwIfAborted();
  // Counts the bytes on their way through; pipeline passes the body's errors on to lib-storage.
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(null, chunk);
    },
  });
  pipeline(body, counted, () => {});
  const upload = new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: counted,
      ...(input.contentType ? { ContentType: input.contentType } : {}),
      ...(input.cacheControl ? { CacheControl: input.cacheControl } : {}),
      ...(input.contentLength !== undefined ? { ContentLength: input.contentLength } : {}),
    },
    queueSize: input.queueSize,
    ...(input.partSize ? { partSize: input.partSize } : {}),
    leavePartsOnError: true,
  });
  const onAbort = () => body.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await upload.done();
    return { etag: result.ETag, size };
  } catch (error) {
    counted.destroy(); // stops reading the caller's body (pipeline destroys it too)
    if (upload.uploadId) {
      const uploadId = upload.uploadId;
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch((abortError: unknown) => input.onCleanupError(abortError, uploadId));
    }
    // The caller's abort reason, rather than whatever the destroyed stream produced.
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
