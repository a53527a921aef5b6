import path from 'node:path';
import { numericDefault, type StorageConfig } from '@annot/config';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DirectoryObjectStore } from './directory/store.ts';
import type { StorageLogger } from './logger.ts';
import type { Storage } from './port.ts';
import { DeadlineRetryStrategy } from './s3/deadline-retry.ts';
import type { PresignSettings, SharedUrlCache } from './s3/presigner.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3/store.ts';

/** Bucket directory names under the storage root for the directory adapter. */
export const DIRECTORY_BUCKETS = { originals: 'originals', thumbnails: 'thumbnails' } as const;

export interface CreateStorageOptions {
  /** Directory adapter: the web route files are served under (default "/files"). */
  readonly urlPrefix?: string;
  /** S3 adapter: extra client settings (credentials, request handler...), merged over the config's. */
  readonly s3ClientConfig?: S3ClientConfig;
  /** S3 adapter: passed on to both stores. */
  readonly s3?: Pick<S3ObjectStoreOptions, 'partSize' | 'queueSize'>;
  /** S3 adapter: presigned URLs shared with other processes (the web tier's Redis). */
  readonly sharedUrlCache?: SharedUrlCache | undefined;
  /** Where the stores' warnings go (default: nowhere); the apps pass theirs. */
  readonly logger?: StorageLogger | undefined;
}

/**
 * The S3 client for a config: built once per process and shared, since it owns the connection pool.
 *
 * No request waits on S3 longer than `requestTimeoutMs` (S3_REQUEST_TIMEOUT_MS) per attempt: to
 * connect, to send the request with its body (a put's body is at most one 5 MiB part, in memory,
 * so a streamed upload is bounded per part, never in total) and receive the answer's headers, and
 * between two reads of an answer's body. The SDK's defaults wait forever for all three. Retries
 * start only within the same time of the first attempt (see DeadlineRetryStrategy).
 */
export function createS3Client(
  config: Extract<StorageConfig, { kind: 's3' }>,
  extra: S3ClientConfig = {},
): S3Client {
  const timeoutMs = config.requestTimeoutMs ?? numericDefault('S3_REQUEST_TIMEOUT_MS');
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    requestHandler: {
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // Without it, a request that outlives requestTimeout is only logged as a warning.
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    },
    retryStrategy: new DeadlineRetryStrategy(timeoutMs),
    ...extra,
  });
}

/**
 * Both buckets from the platform's config: two directories under one root, or two S3 buckets
 * sharing one client. With `thumbnailsBaseUrl` (THUMBNAILS_BASE_URL) the thumbnails store gives
 * unsigned `<base>/<key>` URLs, for either adapter, so the setting means the same everywhere;
 * originals stay presigned (or on the web route), since nothing public may read them.
 */
export function createStorage(
  config: StorageConfig,
  presign: PresignSettings,
  options: CreateStorageOptions = {},
): Storage {
  if (config.kind === 'directory') {
    const root = path.resolve(config.root);
    const urlPrefix = options.urlPrefix ?? '/files';
    return {
      originals: new DirectoryObjectStore({ root, bucket: DIRECTORY_BUCKETS.originals, urlPrefix }),
      thumbnails: new DirectoryObjectStore({
        root,
        bucket: DIRECTORY_BUCKETS.thumbnails,
        urlPrefix,
        publicBaseUrl: config.thumbnailsBaseUrl,
      }),
    };
  }
  const client = createS3Client(config, options.s3ClientConfig);
  const shared = {
    client,
    presign: { ...presign, sharedCache: options.sharedUrlCache },
    requestTimeoutMs: config.requestTimeoutMs ?? numericDefault('S3_REQUEST_TIMEOUT_MS'),
    ...options.s3,
    logger: options.logger,
  };
  return {
    originals: new S3ObjectStore({ ...shared, bucket: config.originalsBucket }),
    thumbnails: new S3ObjectStore({
      ...shared,
      bucket: config.thumbnailsBucket,
      publicBaseUrl: config.thumbnailsBaseUrl,
    }),
  };
}
