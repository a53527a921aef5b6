import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  ChecksumAlgorithm,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { type Part, PartReader } from './parts.ts';

/** S3's smallest part (all but the last); also the part size used. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

export interface StreamUploadInput {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly contentLength?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Part size in bytes (at least, and by default, 5 MiB). */
  readonly partSize?: number | undefined;
  /** Parts uploaded at once; the put holds one part more than this in memory. */
  readonly queueSize: number;
  /**
   * Stores a body that fits in one part with one PutObject (SinglePut, not the SDK's command);
   * resolves with the ETag.
   */
  readonly putSingle: (data: Buffer) => Promise<{ etag: string | undefined }>;
  /** Called when aborting a failed multipart upload fails too (the original error is still thrown). */
  readonly onCleanupError: (error: unknown, uploadId: string) => void;
}

/**
 * Streams a body to S3: one PutObject (input.putSingle) when it fits in one part, else a multipart upload with
 * `queueSize` parts in flight while the next one is read. The requests are the ones
 * @aws-sdk/lib-storage sends (a CRC32 checksum algorithm on the multipart upload when the client
 * computes checksums, each part's checksum in the completion); the parts are cut by PartReader,
 * which holds at most queueSize + 1 of them and reuses their buffers (see parts.ts for why).
 *
 * On failure or abort, no object and no multipart upload is left, and this promise settles only
 * after every part in flight has settled and AbortMultipartUpload was sent; it rejects with the
 * first error (the caller's abort reason, else a part's or the body's error), never the abort's.
 */
export async function uploadStream(
  input: StreamUploadInput,
): Promise<{ etag: string | undefined; size: number }> {
  const { client, body, signal } = input;
  signal?.throwIfAborted();
  const object = {
    Bucket: input.bucket,
    Key: input.key,
    ...(input.contentType ? { ContentType: input.contentType } : {}),
    ...(input.cacheControl ? { CacheControl: input.cacheControl } : {}),
  };
  const send = signal ? { abortSignal: signal } : {};
  const reader = new PartReader(body, Math.max(input.partSize ?? MIN_PART_SIZE, MIN_PART_SIZE));
  const inFlight = new Set<Promise<void>>();
  /** Errors of parts that failed; the first is the put's. */
  const failures: unknown[] = [];
  let uploadId: string | undefined;
  // Failing the body unwinds whatever is reading it; parts in flight are given their signal.
  const onAbort = () => body.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let part = (await reader.next())!;
    if (part.last) {
      checkLength(input.contentLength, reader.bytes);
      const { etag } = await input.putSingle(part.data);
      return { etag, size: reader.bytes };
    }

    const checksums = (await client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
    const created = await client.send(
      new CreateMultipartUploadCommand({
        ...object,
        ...(checksums ? { ChecksumAlgorithm: ChecksumAlgorithm.CRC32 } : {}),
      }),
      send,
    );
    uploadId = created.UploadId;
    if (!uploadId) throw new Error(`S3 gave no UploadId for ${input.bucket}/${input.key}`);
    const completed: CompletedPart[] = [];
    for (;;) {
      while (inFlight.size >= Math.max(1, input.queueSize)) await Promise.race(inFlight);
      if (failures.length > 0) throw failures[0];
      signal?.throwIfAborted();
      if (part.number > MAX_PARTS) throw new Error(`${input.key}: more than ${MAX_PARTS} parts`);
      const sending: Part = part;
      const upload = client
        .send(
          new UploadPartCommand({
            Bucket: input.bucket,
            Key: input.key,
            UploadId: uploadId,
            PartNumber: sending.number,
            Body: sending.data,
          }),
          send,
        )
        .then((output) => void completed.push(completedPart(sending.number, output)))
        .catch((error: unknown) => {
          failures.push(error);
          body.destroy(); // the put has failed: stop reading the body
        })
        .finally(() => {
          reader.release(sending);
          inFlight.delete(upload);
        });
      inFlight.add(upload);
      if (sending.last) break;
      // The next part is read while this one uploads.
      part = (await reader.next())!;
    }
    await Promise.all(inFlight);
    if (failures.length > 0) throw failures[0];
    checkLength(input.contentLength, reader.bytes);
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const output = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: input.bucket,
        Key: input.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      send,
    );
    uploadId = undefined;
    return { etag: output.ETag, size: reader.bytes };
  } catch (error) {
    body.destroy();
    await Promise.allSettled([...inFlight]);
    if (uploadId) {
      const id = uploadId;
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: input.bucket, Key: input.key, UploadId: id }))
        .catch((abortError: unknown) => input.onCleanupError(abortError, id));
    }
    // The caller's abort reason, else the first failure, rather than what a destroyed body gave.
    signal?.throwIfAborted();
    throw failures.length > 0 ? failures[0] : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function completedPart(number: number, output: UploadPartCommandOutput): CompletedPart {
  if (!output.ETag) throw new Error(`S3 gave no ETag for part ${number}`);
  return {
    PartNumber: number,
    ETag: output.ETag,
    ...(output.ChecksumCRC32 ? { ChecksumCRC32: output.ChecksumCRC32 } : {}),
    ...(output.ChecksumCRC32C ? { ChecksumCRC32C: output.ChecksumCRC32C } : {}),
    ...(output.ChecksumCRC64NVME ? { ChecksumCRC64NVME: output.ChecksumCRC64NVME } : {}),
    ...(output.ChecksumSHA1 ? { ChecksumSHA1: output.ChecksumSHA1 } : {}),
    ...(output.ChecksumSHA256 ? { ChecksumSHA256: output.ChecksumSHA256 } : {}),
  };
}

/** A body that is not as long as the caller said is an error, not an object of the wrong size. */
function checkLength(expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) {
    throw new Error(`The body was ${actual} bytes, but its length was given as ${expected}`);
  }
}
