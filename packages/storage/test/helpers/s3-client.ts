import type { TestS3Server } from '@annot/testing';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** An SDK client for the loopback s3rver: path-style, its region and credentials, plus `extra`. */
export function clientFor(server: TestS3Server, extra: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
    ...extra,
  });
}
