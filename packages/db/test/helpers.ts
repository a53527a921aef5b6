import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DatabaseConfig } from '@annot/config';
import { uploadKey } from '@annot/object-keys';
import { createTestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { type ImageRepository, openRepository } from '../src/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Databases migrated once per run: only under vitest.mutate-repository.config.ts (see shared-databases.ts). */
    sharedDatabases?: { readonly sqlitePath: string; readonly mysqlUrl: string | null };
  }
}

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

/**
 * Where the contract suite runs: `open` gives each describe block a fresh database. Under
 * `pnpm mutate` (vitest.mutate-repository.config.ts) the run's shared, migrated database is used
 * instead (see shared-databases.ts): `reset` empties it when a file starts, so each file still
 * starts from an empty database, and the repository is opened in each test, so that Stryker can
 * tell which test ran the SQL a repository builds when it opens.
 */
export interface Target {
  readonly open: Opener;
  readonly shared?: { readonly open: Opener; reset(): Promise<void> };
}

/** The tables the contract writes (image_tags first: it refers to images). */
const CONTRACT_TABLES = ['image_tags', 'images'] as const;

export function sqliteTarget(): Target {
  const shared = inject('sharedDatabases');
  if (!shared) return { open: openSqlite };
  const database = { kind: 'sqlite', path: shared.sqlitePath } as const;
  return {
    open: openSqlite,
    shared: {
      open: async (now) => {
        const repo = await openRepository({ database, now });
        return { repo, cleanup: () => repo.close() };
      },
      async reset() {
        const db = new DatabaseSync(shared.sqlitePath);
        try {
          for (const table of CONTRACT_TABLES) db.exec(`DELETE FROM ${table}`);
        } finally {
          db.close();
        }
      },
    },
  };
}

export function mariaDbTarget(): Target {
  const url = inject('sharedDatabases')?.mysqlUrl;
  if (!url) return { open: openMariaDb };
  return {
    open: openMariaDb,
    shared: {
      open: async (now) => {
        const repo = await openRepository({ database: mysqlConfig(url), now });
        return { repo, cleanup: () => repo.close() };
      },
      async reset() {
        const connection = await mysql.createConnection({ uri: url });
        try {
          for (const table of CONTRACT_TABLES) await connection.query(`DELETE FROM ${table}`);
        } finally {
          await connection.end();
        }
      },
    },
  };
}

export interface Context {
  readonly repo: ImageRepository;
  /** Set to fix the repository's clock (ms); reset to null (real time) after each test. */
  clock: { ms: number | null };
}

/**
 * Opens one repository for a describe block (or, on a shared database, one per test), with a
 * clock each test may pin.
 */
export function useRepository(target: Target): Context {
  let opened: Opened | undefined;
  const context = {
    clock: { ms: null as number | null },
    get repo(): ImageRepository {
      if (!opened) throw new Error('repository not open yet');
      return opened.repo;
    },
  };
  const now = () => context.clock.ms ?? Date.now();
  const { shared } = target;
  if (shared) {
    beforeAll(() => shared.reset());
    beforeEach(async () => {
      opened = await shared.open(now);
    });
  } else {
    beforeAll(async () => {
      opened = await target.open(now);
    });
    afterAll(async () => {
      await opened?.cleanup();
    });
  }
  afterEach(async () => {
    context.clock.ms = null;
    if (shared) {
      const open = opened;
      opened = undefined;
      await open?.cleanup();
    }
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
