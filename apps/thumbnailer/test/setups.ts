/**
 * The two real back ends the handler tests run against: the embedded default (SQLite + a
 * directory) and the AWS shape (MariaDB + an S3-compatible server on loopback).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { buildObjectCreatedEvent } from '@annot/events';
import { uploadKey } from '@annot/object-keys';
import { createStorage, type Storage } from '@annot/storage';
import { createTestDatabase, mariaDbAvailable, startS3Server } from '@annot/testing';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ThumbnailerSettings, WorkerLogger } from '../src/types.ts';
import { createThumbnailer } from '../src/worker.ts';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, so tests can assert on the structured logs. */
export function recordingLogger(): WorkerLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, ...extra: object[]) =>
      entries.push({ level, message, fields: Object.assign({}, ...extra) });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Backend {
  readonly storage: Storage;
  readonly repository: ImageRepository;
  readonly config: AppConfig;
  /** Every key in the thumbnails bucket under a prefix. */
  listThumbnails(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface Setup {
  readonly name: string;
  readonly available: boolean;
  open(): Promise<Backend>;
}

async function openSqliteDirectory(): Promise<Backend> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'thumbnailer-local-'));
  const config = loadConfig({ DATA_DIR: dir }, dir);
  if (config.storage.kind !== 'directory' || config.database.kind !== 'sqlite')
    throw new Error('expected embedded');
  const root = config.storage.root;
  const repository = await openRepository({ database: config.database });
  return {
    config,
    repository,
    storage: createStorage(config.storage, config.presign),
    async listThumbnails(prefix) {
      const bucketDir = path.join(root, 'thumbnails');
      const files = await readdir(path.join(bucketDir, prefix), {
        recursive: true,
        withFileTypes: true,
      }).catch(() => []);
      return files
        .filter((f) => f.isFile())
        .map((f) => path.relative(bucketDir, path.join(f.parentPath, f.name)));
    },
    async close() {
      await repository.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function openMariaDbS3(): Promise<Backend> {
  const buckets = { originals: 'thumbnailer-originals', thumbnails: 'thumbnailer-thumbnails' };
  const s3 = await startS3Server([buckets.originals, buckets.thumbnails]);
  const db = await createTestDatabase('thumbnailer');
  const config = loadConfig({ DATABASE_URL: db.url, ...s3.env(buckets) });
  const repository = await openRepository({ database: config.database });
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  return {
    config,
    repository,
    storage: createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: s3.credentials },
    }),
    async listThumbnails(prefix) {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: buckets.thumbnails, Prefix: prefix }),
      );
      return (listed.Contents ?? []).map((o) => o.Key!);
    },
    async close() {
      client.destroy();
      await repository.close();
      await db.drop();
      await s3.stop();
    },
  };
}

export const SETUPS: Setup[] = [
  { name: 'SQLite + directory', available: true, open: openSqliteDirectory },
  { name: 'MariaDB + S3 (s3rver)', available: await mariaDbAvailable(), open: openMariaDbS3 },
];

export function settingsOf(config: AppConfig): ThumbnailerSettings {
  return {
    ...config.thumbnail,
    maxInputPixels: config.limits.maxInputPixels,
    maxInputBytes: config.limits.maxUploadBytes,
  };
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

/** Stores an original the way the web tier does and returns its key and the event S3 would send. */
export async function upload(backend: Backend, bytes: Uint8Array, filename: string, contentType: string) {
  const key = uploadKey(filename);
  const put = await backend.storage.originals.put(key, bytes, { contentType, contentLength: bytes.length });
  const event = buildObjectCreatedEvent({
    bucket: backend.storage.originals.bucket,
    key,
    size: put.size,
    etag: put.etag,
  });
  return { key, event };
}
