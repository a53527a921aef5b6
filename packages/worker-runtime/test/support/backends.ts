/**
 * The two real back ends the worker handler tests run against: the embedded default (SQLite + a
 * directory) and the AWS shape (MariaDB + an S3-compatible server on loopback). Each test file
 * opens its own, so parallel files never share a database or a bucket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { createStorage, type Storage } from '@annot/storage';
import { createTestDatabase, mariaDbAvailable, startS3Server, type TestS3Server } from '@annot/testing';

export interface TestBackend {
  /** The environment that selects this back end through loadConfig. */
  readonly env: Record<string, string>;
  readonly config: AppConfig;
  readonly storage: Storage;
  readonly repository: ImageRepository;
  /** The S3-compatible server and its bucket names, on the MariaDB + S3 back end only. */
  readonly s3: (TestS3Server & { readonly buckets: TestBuckets }) | undefined;
  close(): Promise<void>;
}

export interface TestBuckets {
  readonly originals: string;
  readonly thumbnails: string;
}

export interface TestBackendSetup {
  readonly name: string;
  /** False when MariaDB does not answer (outside CI, where it throws instead). */
  readonly available: boolean;
  open(): Promise<TestBackend>;
}

/** Both back ends; `service` names the temporary directory, database and buckets. */
export async function testBackends(service: string): Promise<TestBackendSetup[]> {
  return [
    { name: 'SQLite + directory', available: true, open: () => openSqliteDirectory(service) },
    {
      name: 'MariaDB + S3 (s3rver)',
      available: await mariaDbAvailable(),
      open: () => openMariaDbS3(service),
    },
  ];
}

async function openSqliteDirectory(service: string): Promise<TestBackend> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${service}-local-`));
  const env = { DATA_DIR: dir };
  const config = loadConfig(env, dir);
  if (config.storage.kind !== 'directory' || config.database.kind !== 'sqlite')
    throw new Error('expected the embedded back end for DATA_DIR alone');
  const repository = await openRepository({ database: config.database });
  return {
    env,
    config,
    repository,
    storage: createStorage(config.storage, config.presign),
    s3: undefined,
    async close() {
      await repository.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function openMariaDbS3(service: string): Promise<TestBackend> {
  const buckets = { originals: `${service}-originals`, thumbnails: `${service}-thumbnails` };
  // Versioned, as the buckets are in AWS.
  const s3 = await startS3Server([buckets.originals, buckets.thumbnails], { versioned: true });
  const db = await createTestDatabase(service);
  const env = { DATABASE_URL: db.url, ...s3.env(buckets) };
  const config = loadConfig(env);
  const repository = await openRepository({ database: config.database });
  return {
    env,
    config,
    repository,
    storage: createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: s3.credentials },
    }),
    s3: { ...s3, buckets },
    async close() {
      await repository.close();
      await db.drop();
      await s3.stop();
    },
  };
}
