import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { listMultipartUploads, type MultipartUpload, multipartUploadsMiddleware } from './s3-multipart.ts';
import { S3Versioning, type VersioningStatus } from './s3-versioning.ts';

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** The environment a process needs to use this server through the platform's config. */
  env(buckets: { originals: string; thumbnails: string }): Record<string, string>;
  /**
   * The bucket's multipart uploads neither completed nor aborted. The server also answers
   * ListMultipartUploads and AbortMultipartUpload (s3rver itself implements neither).
   */
  multipartUploads(bucket: string): Promise<MultipartUpload[]>;
  /**
   * Sets a bucket's versioning, as PutBucketVersioning does. The server serves S3 versioning
   * (s3rver itself has none): versioned writes, delete markers, `versionId` on GET/HEAD/DELETE,
   * DeleteObjects with VersionIds and ListObjectVersions; see s3-versioning.ts.
   */
  setVersioning(bucket: string, status: VersioningStatus): void;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /**
   * Buckets to start with versioning Enabled, as the platform's buckets are in AWS: `true` for
   * all of them. Default none (a bucket never versioned, as s3rver is).
   */
  readonly versioned?: boolean | readonly string[];
}

/**
 * Starts an S3-compatible server (s3rver) on loopback with the given buckets,
 * `{ versioned: true }` to have them versioned.
 */
export async function startS3Server(
  buckets: readonly string[],
  options: S3ServerOptions = {},
): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  // Outside s3rver's directory, whose every subdirectory it takes for a bucket.
  const versionsDirectory = await mkdtemp(path.join(os.tmpdir(), 's3rver-versions-'));
  const versioning = new S3Versioning(versionsDirectory);
  const versioned = options.versioned === true ? buckets : options.versioned || [];
  for (const bucket of versioned) versioning.setStatus(bucket, 'Enabled');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  // S3rver is a Koa application; this runs before its router.
  (server as unknown as { middleware: unknown[] }).middleware.unshift(
    multipartUploadsMiddleware(directory),
    versioning.middleware(),
  );
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  // s3rver accepts these fixed credentials.
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    region: 'us-east-1',
    credentials,
    env: ({ originals, thumbnails }) => ({
      ORIGINALS_BUCKET: originals,
      THUMBNAILS_BUCKET: thumbnails,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    }),
    multipartUploads: (bucket) => listMultipartUploads(directory, bucket),
    setVersioning: (bucket, status) => versioning.setStatus(bucket, status),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
      await rm(versionsDirectory, { recursive: true, force: true });
    },
  };
}
