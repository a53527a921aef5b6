import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { listMultipartUploads, type MultipartUpload, multipartUploadsMiddleware } from './s3-multipart.ts';

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
  stop(): Promise<void>;
}

/** Starts an S3-compatible server (s3rver) on loopback with the given buckets. */
export async function startS3Server(buckets: readonly string[]): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  // S3rver is a Koa application; this runs before its router.
  (server as unknown as { middleware: unknown[] }).middleware.unshift(multipartUploadsMiddleware(directory));
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
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
