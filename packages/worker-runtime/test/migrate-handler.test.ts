/** The migration function's handler against MariaDB: applies what is pending, once. */
import { MIGRATIONS } from '@annot/db';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrationHandler } from '../src/lambda/index.ts';
import { captureLogLines } from './support/lambda.ts';

describe.runIf(await mariaDbAvailable())('the migration function', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    captureLogLines();
    db = await createTestDatabase('wr_migrate');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates an empty database to the newest version, then finds nothing to do', async () => {
    const migrateFn = createMigrationHandler({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });
    const newest = MIGRATIONS.at(-1)?.version;
    await expect(migrateFn({ schema: 'abc123' })).resolves.toEqual({
      applied: MIGRATIONS.map((m) => m.version),
      current: newest,
      schema: 'abc123',
    });
    await expect(migrateFn({ schema: 'abc123' })).resolves.toEqual({
      applied: [],
      current: newest,
      schema: 'abc123',
    });
  });

  it('builds the database URL from the RDS-managed secret, as the workers do', async () => {
    const url = new URL(db.url);
    const fetched: string[] = [];
    const migrateFn = createMigrationHandler({
      env: {
        DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-x',
        DB_HOST: url.hostname,
        DB_PORT: url.port || '3306',
        DB_NAME: url.pathname.slice(1),
        LOG_LEVEL: 'warn',
      },
      fetchSecret: async (arn) => {
        fetched.push(arn);
        return JSON.stringify({ username: decodeURIComponent(url.username), password: url.password });
      },
    });
    await expect(migrateFn(undefined)).resolves.toMatchObject({ applied: [], schema: null });
    expect(fetched).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-x']);
  });

  it('refuses a configuration without MySQL, naming what is missing', async () => {
    const migrateFn = createMigrationHandler({ env: { LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent' } });
    await expect(migrateFn({})).rejects.toThrow(/needs a MySQL database/);
  });
});
