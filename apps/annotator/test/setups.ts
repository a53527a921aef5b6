/**
 * The two real back ends the handler tests run against: the embedded default (SQLite + a
 * directory) and the AWS shape (MariaDB + an S3-compatible server on loopback), each with a
 * loopback server speaking Gemini's REST protocol.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { buildObjectCreatedEvent } from '@annot/events';
import { uploadKey } from '@annot/object-keys';
import { createStorage, type Storage } from '@annot/storage';
import {
  createTestDatabase,
  type FakeGemini,
  mariaDbAvailable,
  startFakeGemini,
  startS3Server,
} from '@annot/testing';
import { type AnnotatorSettings, createAnnotationWorker, createAnnotator } from '../src/index.ts';
import { recordingLogger } from './support.ts';

export interface Backend {
  readonly storage: Storage;
  readonly repository: ImageRepository;
  readonly gemini: FakeGemini;
  /** The environment that selects this back end; add GEMINI_* to it for the Gemini annotator. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export interface Setup {
  readonly name: string;
  readonly available: boolean;
  open(): Promise<Backend>;
}

async function openSqliteDirectory(): Promise<Backend> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'annotator-local-'));
  const env = { DATA_DIR: dir };
  const config = loadConfig(env, dir);
  if (config.storage.kind !== 'directory' || config.database.kind !== 'sqlite')
    throw new Error('expected embedded');
  const repository = await openRepository({ database: config.database });
  const gemini = await startFakeGemini();
  return {
    env,
    gemini,
    repository,
    storage: createStorage(config.storage, config.presign),
    async close() {
      await gemini.stop();
      await repository.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function openMariaDbS3(): Promise<Backend> {
  const buckets = { originals: 'annotator-originals', thumbnails: 'annotator-thumbnails' };
  const s3 = await startS3Server([buckets.originals, buckets.thumbnails]);
  const db = await createTestDatabase('annotator');
  const env = { DATABASE_URL: db.url, ...s3.env(buckets) };
  const config = loadConfig(env);
  const repository = await openRepository({ database: config.database });
  const gemini = await startFakeGemini();
  return {
    env,
    gemini,
    repository,
    storage: createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: s3.credentials },
    }),
    async close() {
      await gemini.stop();
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

export function settingsOf(config: AppConfig): AnnotatorSettings {
  return {
    ...config.annotator,
    maxInputPixels: config.limits.maxInputPixels,
    maxInputBytes: config.limits.maxUploadBytes,
  };
}

/**
 * A worker over a back end with a recording logger: the local annotator by default, or Gemini
 * (pointed at the back end's loopback server, small delays) with `kind: 'gemini'`.
 */
export function workerFor(backend: Backend, kind: 'local' | 'gemini', env: Record<string, string> = {}) {
  const gemini =
    kind === 'gemini'
      ? {
          GEMINI_API_KEY: 'test-key',
          GEMINI_BASE_URL: backend.gemini.baseUrl,
          GEMINI_RETRY_BASE_MS: '5',
          GEMINI_TIMEOUT_MS: '2000',
          GEMINI_MAX_ATTEMPTS: '3',
        }
      : {};
  const settings = settingsOf(loadConfig({ ...backend.env, ...gemini, ...env }));
  const logger = recordingLogger();
  const annotator = createAnnotator(settings);
  const worker = createAnnotationWorker({
    storage: backend.storage,
    repository: backend.repository,
    annotator,
    settings,
    logger,
  });
  return { ...worker, annotator, logger };
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

/** The web tier's pending row for an upload. */
export function createRow(
  backend: Backend,
  key: string,
  filename: string,
  contentType: string,
  byteSize: number,
) {
  return backend.repository.createPending({
    filename,
    originalKey: key,
    contentType,
    byteSize,
    width: null,
    height: null,
  });
}

/** Every row for a key: duplicates would show here. */
export async function rowsFor(backend: Backend, key: string) {
  const page = await backend.repository.listPage({ limit: 200 });
  return page.images.filter((image) => image.originalKey === key);
}
