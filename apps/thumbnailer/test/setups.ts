/**
 * The two real back ends the handler tests run against (from @annot/worker-runtime/testing): the
 * embedded default (SQLite + a directory) and the AWS shape (MariaDB + s3rver on loopback), each
 * with a way to list what the thumbnailer wrote.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '@annot/config';
import type { Storage } from '@annot/storage';
import { recordingLogger, type TestBackend, testBackends } from '@annot/worker-runtime/testing';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createThumbnailer, type ThumbnailerSettings, thumbnailerSettings } from '../src/worker.ts';

export { recordingLogger, uploadOriginal as upload } from '@annot/worker-runtime/testing';

export interface Backend extends TestBackend {
  /** Every key in the thumbnails bucket under a prefix. */
  listThumbnails(prefix: string): Promise<string[]>;
}

export interface Setup {
  readonly name: string;
  readonly available: boolean;
  open(): Promise<Backend>;
}

export const SETUPS: Setup[] = (await testBackends('thumbnailer')).map((setup) => ({
  ...setup,
  open: async () => withThumbnailListing(await setup.open()),
}));

function withThumbnailListing(backend: TestBackend): Backend {
  const { config, s3 } = backend;
  if (config.storage.kind === 'directory') {
    const bucketDir = path.join(config.storage.root, 'thumbnails');
    return {
      ...backend,
      async listThumbnails(prefix) {
        const files = await readdir(path.join(bucketDir, prefix), {
          recursive: true,
          withFileTypes: true,
        }).catch(() => []);
        return files
          .filter((f) => f.isFile())
          .map((f) => path.relative(bucketDir, path.join(f.parentPath, f.name)));
      },
    };
  }
  if (!s3) throw new Error('expected an S3 test server behind S3 storage');
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  return {
    ...backend,
    async listThumbnails(prefix) {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: s3.buckets.thumbnails, Prefix: prefix }),
      );
      return (listed.Contents ?? []).map((o) => o.Key!);
    },
    async close() {
      client.destroy();
      await backend.close();
    },
  };
}

export function settingsOf(config: AppConfig): ThumbnailerSettings {
  return thumbnailerSettings(config);
}

/** A thumbnailer over a back end, with a recording logger. */
export function thumbnailerFor(
  backend: Backend,
  storage: Storage = backend.storage,
  repository = backend.repository,
) {
  const logger = recordingLogger();
  const worker = createThumbnailer({ storage, repository, settings: settingsOf(backend.config), logger });
  return { ...worker, logger };
}
