import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { type CreateStorageOptions, createStorage, type Storage } from '@annot/storage';
import { createTestDatabase, mariaDbAvailable, startS3Server } from '@annot/testing';
import type { FastifyInstance } from 'fastify';
import { describe, expect } from 'vitest';
import { buildServer, type ServerOptions } from '../src/server.ts';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly config: AppConfig;
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * Builds the app on the backend the environment selects: by default a fresh embedded one (SQLite
 * and directory storage in a temp DATA_DIR); DATABASE_URL and the bucket variables select MySQL and S3.
 */
export async function buildTestApp(
  env: Record<string, string> = {},
  storageOptions: CreateStorageOptions = {},
  hooks: Pick<ServerOptions, 'reclaimer' | 'requestStage' | 'clock'> & {
    /** What the app is given in place of the repository (e.g. one that counts calls). */
    readonly wrapRepository?: (repository: ImageRepository) => ImageRepository;
    /** What the app is given in place of the storage (e.g. one that records puts). */
    readonly wrapStorage?: (storage: Storage) => Storage;
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const repository = await openRepository({ database: config.database, migrate: true });
  const storage = createStorage(config.storage, config.presign, storageOptions);
  const { wrapRepository, wrapStorage, ...deps } = hooks;
  const app = await buildServer({
    config,
    repository: wrapRepository ? wrapRepository(repository) : repository,
    storage: wrapStorage ? wrapStorage(storage) : storage,
    ...deps,
  });
  return {
    app,
    config,
    repository,
    storage,
    dataDir,
    async close() {
      await app.close();
      await repository.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `target` with one method replaced by `replacement`; every other member is the target's own. */
export function withMethod<T extends object, K extends keyof T>(target: T, name: K, replacement: T[K]): T {
  return new Proxy(target, {
    get: (object, property) => {
      if (property === name) return replacement;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

export interface Upload {
  readonly filename: string;
  readonly content: Buffer | string;
  readonly contentType?: string;
  readonly field?: string;
}

/** A multipart/form-data body as a browser sends it (filenames as raw UTF-8). */
export function multipart(files: readonly Upload[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----test${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const file of files) {
    const name = file.filename.replaceAll('"', '%22');
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'image'}"; filename="${name}"\r\n` +
          `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Posts files to /upload as the page's XHR does (JSON) or as a plain form (HTML). */
export function postUpload(app: FastifyInstance, files: readonly Upload[], accept = 'application/json') {
  const { payload, headers } = multipart(files);
  return app.inject({ method: 'POST', url: '/upload', payload, headers: { ...headers, accept } });
}

/**
 * Every file under a bucket's directory, temp files included, as paths relative to it (the
 * directory adapter's layout is <root>/<bucket>/<key>). For a refusal this must be empty.
 */
export async function storedFiles(t: TestApp, bucket: 'originals' | 'thumbnails'): Promise<string[]> {
  if (t.config.storage.kind !== 'directory') throw new Error('storedFiles needs the directory adapter');
  const dir = path.join(t.config.storage.root, bucket);
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** All rows, newest first. */
export async function allRows(t: TestApp) {
  return (await t.repository.listPage({ limit: 1000 })).images;
}

/** A refused upload leaves nothing behind: no row and no original. */
export async function expectNothingStored(t: TestApp): Promise<void> {
  expect(await allRows(t)).toEqual([]);
  expect(await storedFiles(t, 'originals')).toEqual([]);
}

/** One back end a web test runs on: the app with its database and storage, and how to stop them. */
export interface WebBackend {
  readonly name: string;
  /** False outside CI when MariaDB does not answer (mariaDbAvailable); under CI that fails instead. */
  readonly enabled: boolean;
  start(env: Record<string, string>): Promise<{ app: TestApp; stop: () => Promise<void> }>;
}

/**
 * `describe.each` over back ends that keeps an unavailable one visible: its tests are counted as
 * skipped (outside CI; under CI mariaDbAvailable has already failed the file), never dropped.
 */
export function describeEachBackend<B extends { readonly name: string; readonly enabled: boolean }>(
  backends: readonly B[],
) {
  return (title: string, body: (backend: B) => void) => {
    for (const backend of backends) describe.runIf(backend.enabled).each([backend])(title, body);
  };
}

/**
 * The two back ends the web tests run on: SQLite with directory storage, and MariaDB with S3
 * (s3rver, buckets `<prefix>-originals` and `<prefix>-thumbnails`).
 */
export async function webBackends(prefix: string): Promise<WebBackend[]> {
  return [
    {
      name: 'SQLite + directory storage',
      enabled: true,
      async start(env) {
        const app = await buildTestApp(env);
        return { app, stop: () => app.close() };
      },
    },
    {
      name: 'MariaDB + S3 (s3rver)',
      enabled: await mariaDbAvailable(),
      async start(env) {
        const database = await createTestDatabase(`web_${prefix}`);
        const buckets = { originals: `${prefix}-originals`, thumbnails: `${prefix}-thumbnails` };
        const s3 = await startS3Server([buckets.originals, buckets.thumbnails]);
        const app = await buildTestApp(
          { ...s3.env(buckets), DATABASE_URL: database.url, ...env },
          { s3ClientConfig: { credentials: s3.credentials } },
        );
        return {
          app,
          async stop() {
            await app.close();
            await s3.stop();
            await database.drop();
          },
        };
      },
    },
  ];
}
