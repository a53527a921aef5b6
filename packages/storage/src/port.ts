import type { Readable } from 'node:stream';

/** Metadata of a stored object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
}

export interface PutOptions {
  readonly contentType?: string;
  /** Known length in bytes, when the caller has it (lets S3 use a single PUT). */
  readonly contentLength?: number;
  /** Aborting cancels the write; nothing is left behind. */
  readonly signal?: AbortSignal;
  readonly cacheControl?: string;
  /**
   * The body's SHA-256, when the caller computes it as the body passes (asked once the body has
   * ended): the S3 adapter then signs its single-request put with it and sends it as the object's
   * checksum instead of hashing the bytes again, and S3 refuses bytes that differ from it.
   * Optional; adapters may ignore it.
   */
  readonly sha256?: () => Uint8Array | undefined;
}

export interface PutResult {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
}

export interface GetResult {
  readonly body: Readable;
  readonly info: ObjectInfo;
}

/**
 * One bucket of objects. `put` is atomic: the object becomes visible only once the whole body is
 * written; if the body stream errors or the signal aborts, no object (and no partial upload) is left.
 */
export interface ObjectStore {
  /** The bucket's name (for S3) or its directory name (for the directory adapter). */
  readonly bucket: string;
  put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<PutResult>;
  /** Streams an object. Throws ObjectNotFoundError when there is none. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<GetResult>;
  /** Reads a whole object into memory, refusing objects larger than maxBytes. */
  getBytes(key: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | null>;
  /**
   * Deletes the object for good: in a versioned S3 bucket every version and every delete marker
   * of exactly this key (not of other keys it is a prefix of), since a plain DELETE there only
   * hides the bytes behind a marker; the directory adapter's one file. Deleting a missing object
   * is not an error. Rejects with ObjectDeleteError (naming the key, the store's error as its
   * cause) when any version could not be deleted.
   */
  delete(key: string): Promise<void>;
  /**
   * A URL a browser can GET the object from: a presigned URL for S3 (cached well inside its expiry),
   * a local route for the directory adapter, or `<base>/<key>` unsigned for a store given a public
   * base URL (the thumbnails with THUMBNAILS_BASE_URL).
   */
  urlFor(key: string): Promise<string>;
  /**
   * Raises the object's "Object Created" event again, for the reconciliation sweep (an upload
   * whose event never reached the workers). S3: the object is copied onto itself, which S3
   * reports to EventBridge like any write (in a versioned bucket this adds a version, which the
   * noncurrent-version rule expires). Resolves false where the store raises no events (a bare
   * directory: the embedded system wraps it in a store that publishes on its bus).
   */
  renotify(key: string): Promise<boolean>;
  /**
   * Removes writes that never finished and were started before `before`: S3 multipart uploads
   * neither completed nor aborted (a crashed process's), or a directory's temp files. Resolves
   * how many it removed. Only under `prefix` when given (the platform's own writes). Safe to run
   * from several processes at once.
   */
  clearUnfinishedWrites(before: Date, prefix?: string): Promise<number>;
  /**
   * One page of the bucket's objects under `prefix`, in key order, after the key `after` (from
   * the start when absent): for the sweep's check that every object has its row. `next` is the
   * key to continue after, or null at the end.
   */
  listPage(options: { prefix: string; after?: string; limit: number }): Promise<ObjectPage>;
}

export interface ObjectPage {
  readonly objects: readonly { readonly key: string; readonly lastModified: Date }[];
  readonly next: string | null;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  readonly key: string;
  constructor(bucket: string, key: string, options?: ErrorOptions) {
    super(`No object ${JSON.stringify(key)} in ${bucket}`, options);
    this.key = key;
  }
}

export class ObjectDeleteError extends Error {
  override readonly name = 'ObjectDeleteError';
  readonly key: string;
  constructor(bucket: string, key: string, options?: ErrorOptions) {
    super(`Could not delete every version of ${JSON.stringify(key)} in ${bucket}`, options);
    this.key = key;
  }
}

export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(key: string, size: number, maxBytes: number) {
    super(`Object ${JSON.stringify(key)} is ${size} bytes, over the limit of ${maxBytes}`);
  }
}

/** The two buckets the platform uses. */
export interface Storage {
  readonly originals: ObjectStore;
  readonly thumbnails: ObjectStore;
}
