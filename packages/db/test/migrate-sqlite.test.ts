import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type MigrationResult } from '../src/index.ts';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('migrations on SQLite', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('three processes migrating one new file at once all succeed, and each migration runs once', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-migrate-'));
    const file = path.join(dir, 'nested', 'dir', 'images.db');
    // Real separate processes: BEGIN IMMEDIATE has to serialise them through the file lock.
    const script = `
      const { migrate } = await import(${JSON.stringify(entry)});
      const result = await migrate({ database: { kind: 'sqlite', path: ${JSON.stringify(file)} } });
      console.log(JSON.stringify(result));`;
    const outputs = await Promise.all(
      Array.from({ length: 3 }, () =>
        run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script]),
      ),
    );
    const results = outputs.map(({ stdout }) => JSON.parse(stdout) as MigrationResult);
    expect(results.flatMap((result) => result.applied)).toEqual(MIGRATIONS.map((m) => m.version));

    const db = new DatabaseSync(file);
    try {
      expect(
        db
          .prepare('SELECT version FROM schema_migrations')
          .all()
          .map((row) => row.version),
      ).toEqual(MIGRATIONS.map((m) => m.version));
      // WAL persists in the file, so every later connection uses it too.
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });
});
