import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '@annot/config';
import { uploadKey } from '@annot/object-keys';
import { createTestDatabase } from '@annot/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ImageRepository, openRepository } from '../src/index.ts';

export function mysqlConfig(url: string, poolSize = 4): DatabaseConfig {
  return {
    kind: 'mysql',
    url,
    secretArn: undefined,
    host: undefined,
    port: 3306,
    database: new URL(url).pathname.slice(1),
    poolSize,
  };
}

export interface Opened {
  readonly repo: ImageRepository;
  cleanup(): Promise<void>;
}

/** Opens a fresh, migrated repository whose clock is `now`. */
export type Opener = (now: () => number) => Promise<Opened>;

export const openSqlite: Opener = async (now) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-'));
  // A nested path: openRepository must create the parent directory.
  const repo = await openRepository({
    database: { kind: 'sqlite', path: path.join(dir, 'data', 'images.db') },
    now,
  });
  return {
    repo,
    async cleanup() {
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

export const openMariaDb: Opener = async (now) => {
  const db = await createTestDatabase('db_contract');
  const repo = await openRepository({ database: mysqlConfig(db.url), now });
  return {
    repo,
    async cleanup() {
      await repo.close();
      await db.drop();
    },
  };
};

export interface Context {
  readonly repo: ImageRepository;
  /** Set to fix the repository's clock (ms); reset to null (real time) after each test. */
  clock: { ms: number | null };
}

/** Opens one repository for a describe block, with a clock each test may pin. */
export function useRepository(open: Opener): Context {
  let opened: Opened | undefined;
  const context = {
    clock: { ms: null as number | null },
    get repo(): ImageRepository {
      if (!opened) throw new Error('repository not open yet');
      return opened.repo;
    },
  };
  beforeAll(async () => {
    opened = await open(() => context.clock.ms ?? Date.now());
  });
  afterAll(async () => {
    await opened?.cleanup();
  });
  afterEach(() => {
    context.clock.ms = null;
  });
  return context;
}

/** A fresh upload key, as the web tier builds them. */
export const newKey = (name = 'photo.jpg'): string => uploadKey(name);

export const pending = (originalKey: string, filename = 'Holiday photo ü.jpg') => ({
  filename,
  originalKey,
  contentType: 'image/jpeg',
  byteSize: 123_456,
  width: 600,
  height: 450,
});
