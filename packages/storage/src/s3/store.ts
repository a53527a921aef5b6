import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { numericDefault } from '@annot/config';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { encodeKeyForUrl, publicObjectUrl, validateKeyLength } from '../keys.ts';
import { type StorageLogger, silentStorageLogger } from '../logger.ts';
import {
  type GetResult,
  ObjectDeleteError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectPage,
  type ObjectStore,
  ObjectTooLargeError,
  type PutOptions,
  type PutResult,
} from '../port.ts';
import { readAll } from '../read-all.ts';
import { bareEtag, isNotFound } from './errors.ts';
import { CachedUrlPresigner, type PresignerOptions, type PresignStats } from './presigner.ts';
import { SinglePut } from './single-put.ts';
import { uploadStream } from './upload.ts';

export interface S3ObjectStoreOptions {
  /** One client, built once and shared between stores (it holds the connection pool). */
  readonly client: S3Client;
  readonly bucket: string;
  readonly presign: PresignerOptions;
  /**
   * Set, urlFor gives `<publicBaseUrl>/<key>` and signs nothing: the bucket is read through
   * something public in front of it (CloudFront with origin access control), not by the browser.
   */
  readonly publicBaseUrl?: string | undefined;
  /**
   * S3_REQUEST_TIMEOUT_MS: the longest one attempt of a single-request put may take (the client's
   * request handler bounds the SDK's own requests with the same value). Default: the setting's.
   */
  readonly requestTimeoutMs?: number | undefined;
  /** Multipart part size in bytes (default and minimum 5 MiB). */
  readonly partSize?: number;
  /**
   * Parts uploaded in parallel per put (default 1), while the next part is read; a put holds one
   * part more than this in memory. One is enough for the web's uploads: a client sends a part more
   * slowly than S3 takes it, and each part in flight would be 5 MiB more per upload.
   */
  readonly queueSize?: number;
  /**
   * Where the store's warnings go: when aborting a failed multipart upload fails too (the put still
   * throws its own error, and the bucket's AbortIncompleteMultipartUpload rule removes the parts).
   * Default: nowhere.
   */
  readonly logger?: StorageLogger | undefined;
  /**
   * Versions listed, and deleted, per request by `delete` (default and most S3 allows: 1000).
   * Smaller only in tests, to page with few versions.
   */
  readonly deletePageSize?: number;
}

/** S3's most for both ListObjectVersions' MaxKeys and one DeleteObjects request. */
const DELETE_PAGE_SIZE = 1000;
/**
 * Listing rounds per `delete`: 100 pages of versions (100,000 with the default page). A key still
 * holding versions after them (written faster than deleted) fails the delete, it is not left half
 * done silently.
 */
const DELETE_ROUNDS = 100;

/** An ObjectStore on an S3 bucket (or an S3-compatible server through the client's endpoint). ETags are bare (unquoted). */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;
  readonly #options: S3ObjectStoreOptions;
  readonly #presigner: CachedUrlPresigner;
  readonly #singlePut: SinglePut;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client;
    this.#options = options;
    this.#presigner = new CachedUrlPresigner(options.client, options.bucket, options.presign);
    this.#singlePut = new SinglePut(
      options.client,
      options.bucket,
      options.requestTimeoutMs ?? numericDefault('S3_REQUEST_TIMEOUT_MS'),
    );
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateKeyLength(key);
    const putSingle = (data: Uint8Array) =>
      this.#singlePut.put({
        key,
        body: data,
        contentType: options.contentType,
        cacheControl: options.cacheControl,
        sha256: options.sha256?.(),
        signal: options.signal,
      });
    if (body instanceof Uint8Array) {
      // A buffer needs no multipart: one PutObject, which S3 applies atomically.
      const { etag } = await putSingle(body);
      return { key, size: body.byteLength, etag: bareEtag(etag) };
    }
    const { etag, size } = await uploadStream({
      client: this.client,
      bucket: this.bucket,
      key,
      body,
      contentType: options.contentType,
      cacheControl: options.cacheControl,
      contentLength: options.contentLength,
      signal: options.signal,
      partSize: this.#options.partSize,
      queueSize: this.#options.queueSize ?? 1,
      putSingle,
      onCleanupError: (error, uploadId) =>
        (this.#options.logger ?? silentStorageLogger).warn(
          { err: error, bucket: this.bucket, key, uploadId },
          'could not abort a failed multipart upload; the bucket lifecycle rule removes its parts',
        ),
    });
    return { key, size, etag: bareEtag(etag) };
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<GetResult> {
    const output = await this.#getObject(key, options.signal);
    return { body: toReadable(output.Body), info: infoOf(key, output) };
  }

  async getBytes(
    key: string,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    const output = await this.#getObject(key, options.signal);
    const body = toReadable(output.Body);
    const size = output.ContentLength;
    if (options.maxBytes !== undefined && size !== undefined && size > options.maxBytes) {
      body.destroy();
      throw new ObjectTooLargeError(key, size, options.maxBytes);
    }
    return readAll(body, key, options.maxBytes);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    validateKeyLength(key);
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return infoOf(key, output);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Removes every version and delete marker of exactly `key` (a plain DeleteObject on a versioned
   * bucket only adds a marker and keeps the bytes). Each round lists the key's versions from the
   * start (ListObjectVersions, Prefix=key: the key itself sorts before every longer key sharing
   * the prefix, so its versions come first, and entries of other keys are dropped) and deletes
   * them with one quiet DeleteObjects, until a listing ended (or reached another key) within the
   * page. An unversioned bucket lists its object as the version "null", deleted the same way.
   * Costs one list and one delete request per 1,000 versions: two requests for the usual key with
   * a few versions, one (a list) for a missing key, where a plain DeleteObject was one. Each
   * request is bounded by the client's timeouts (S3_REQUEST_TIMEOUT_MS).
   */
  async delete(key: string): Promise<void> {
    validateKeyLength(key);
    const pageSize = this.#options.deletePageSize ?? DELETE_PAGE_SIZE;
    for (let round = 0; round < DELETE_ROUNDS; round++) {
      let listed: ListObjectVersionsCommandOutput;
      try {
        listed = await this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, MaxKeys: pageSize }),
        );
      } catch (error) {
        throw new ObjectDeleteError(this.bucket, key, { cause: error });
      }
      const entries = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])];
      const versions = entries
        .filter((entry) => entry.Key === key && entry.VersionId)
        .map((entry) => ({ Key: key, VersionId: entry.VersionId }));
      if (versions.length === 0) return;
      // The listing is in key order: it ended, or reached a longer key, after all of this key's.
      const sawAll = !listed.IsTruncated || entries.some((entry) => entry.Key !== key);
      let deleted: DeleteObjectsCommandOutput;
      try {
        deleted = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: versions, Quiet: true } }),
        );
      } catch (error) {
        throw new ObjectDeleteError(this.bucket, key, { cause: error });
      }
      const failed = deleted.Errors ?? [];
      if (failed.length > 0) {
        const codes = [...new Set(failed.map((e) => e.Code ?? 'unknown'))].join(', ');
        throw new ObjectDeleteError(this.bucket, key, {
          cause: new Error(`S3 refused to delete ${failed.length} version(s): ${codes}`),
        });
      }
      if (sawAll) return;
    }
    throw new ObjectDeleteError(this.bucket, key, {
      cause: new Error(`versions still listed after ${DELETE_ROUNDS} rounds of deletes`),
    });
  }

  urlFor(key: string): Promise<string> {
    validateKeyLength(key);
    const base = this.#options.publicBaseUrl;
    return base ? Promise.resolve(publicObjectUrl(base, key)) : this.#presigner.urlFor(key);
  }

  async renotify(key: string): Promise<boolean> {
    const info = await this.head(key);
    if (info === null) return false;
    // Copying an object onto itself is refused unless something changes: REPLACE restates the
    // metadata it had. S3 sends EventBridge "Object Created" (reason CopyObject) for it.
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: key,
        CopySource: `${this.bucket}/${encodeKeyForUrl(key)}`,
        MetadataDirective: 'REPLACE',
        ...(info.contentType ? { ContentType: info.contentType } : {}),
      }),
    );
    return true;
  }

  async clearUnfinishedWrites(before: Date, prefix?: string): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    // Bounded: at most 100 pages of 1,000 uploads per call; the next sweep goes on.
    for (let page = 0; page < 100; page++) {
      const listed = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of listed.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= before) continue;
        try {
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          removed++;
        } catch (error) {
          // Another process aborted it first, or it completed meanwhile: nothing left to do.
          if (!isNotFound(error)) throw error;
        }
      }
      if (!listed.IsTruncated) break;
      keyMarker = listed.NextKeyMarker;
      uploadIdMarker = listed.NextUploadIdMarker;
    }
    return removed;
  }

  async listPage(options: { prefix: string; after?: string; limit: number }): Promise<ObjectPage> {
    // ListObjects (v1): its Marker is v2's StartAfter, and it is what the S3-compatible test
    // server (s3rver) pages correctly; S3 serves both.
    const listed = await this.client.send(
      new ListObjectsCommand({
        Bucket: this.bucket,
        Prefix: options.prefix,
        MaxKeys: options.limit,
        ...(options.after ? { Marker: options.after } : {}),
      }),
    );
    const objects = (listed.Contents ?? []).flatMap((o) =>
      o.Key ? [{ key: o.Key, lastModified: o.LastModified ?? new Date(0) }] : [],
    );
    return { objects, next: listed.IsTruncated ? (objects.at(-1)?.key ?? null) : null };
  }

  /** How many URLs were signed and how many came from the cache (for benchmarks). */
  presignStats(): PresignStats {
    return this.#presigner.stats();
  }

  async #getObject(key: string, signal: AbortSignal | undefined): Promise<GetObjectCommandOutput> {
    validateKeyLength(key);
    try {
      return await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(this.bucket, key, { cause: error });
      throw error;
    }
  }
}

function infoOf(
  key: string,
  output: { ContentLength?: number; ContentType?: string; ETag?: string; LastModified?: Date },
): ObjectInfo {
  return {
    key,
    size: output.ContentLength ?? 0,
    contentType: output.ContentType,
    etag: bareEtag(output.ETag),
    lastModified: output.LastModified,
  };
}

/** In Node the SDK's body is already a Readable (an IncomingMessage); anything else is converted. */
function toReadable(body: GetObjectCommandOutput['Body']): Readable {
  if (body instanceof Readable) return body;
  if (body && typeof (body as unknown as WebReadableStream).getReader === 'function') {
    return Readable.fromWeb(body as unknown as WebReadableStream);
  }
  throw new Error('S3 returned no readable body');
}
