import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import type { TestProject } from 'vitest/node';
import { openRepository } from '../src/index.ts';
import { mysqlConfig } from './helpers.ts';

/**
 * The global setup of vitest.mutate-repository.config.ts (`pnpm mutate db-repository`): one SQLite
 * file and one MariaDB database, migrated once for the whole run, which the contract suite then
 * reuses for every run of a mutant (it empties their tables when a file starts, and opens the
 * repository in each test: see useRepository in helpers.ts). Without it, each run of a mutant
 * would create a database and apply every migration again. The normal suite (vitest.config.ts)
 * does not use this file: there each test file has its own fresh database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-shared-'));
  let mariaDb: TestDatabase | undefined;
  try {
    const sqlitePath = path.join(dir, 'images.db');
    await (await openRepository({ database: { kind: 'sqlite', path: sqlitePath } })).close();
    // Under CI=true an unreachable MariaDB throws here, as it does in the tests.
    if (await mariaDbAvailable()) {
      mariaDb = await createTestDatabase('db_shared');
      await (await openRepository({ database: mysqlConfig(mariaDb.url) })).close();
    }
    project.provide('sharedDatabases', { sqlitePath, mysqlUrl: mariaDb?.url ?? null });
  } catch (error) {
    await mariaDb?.drop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    try {
      await mariaDb?.drop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
