import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { createTestDatabase, mariaDbAvailable, TEST_MYSQL_URL } from '@annot/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLambdaRuntime, createPowertoolsLogger, detailsFirstLoggerFor } from '../src/lambda/index.ts';
import { captureLogLines, lambdaContext } from './support/lambda.ts';

let logLines: () => Record<string, unknown>[];
beforeEach(() => {
  logLines = captureLogLines().lines;
});
afterEach(() => vi.restoreAllMocks());

describe('createLambdaRuntime on the embedded back end', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'worker-runtime-lambda-'));
    env = { DATA_DIR: dir, LOG_LEVEL: 'warn' };
    // The web tier migrates; the runtime opens the database with migrate: false.
    await (await openRepository({ database: loadConfig(env).database })).close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes every extra object through to the JSON line, at the configured level', async () => {
    const runtime = await createLambdaRuntime('thumbnailer', { env });
    try {
      runtime.workerLogger.info('below the level', { hidden: true });
      runtime.workerLogger.warn('Skipped', { key: 'uploads/a/b.jpg', requestId: 'r-1' }, { reason: 'other' });
      runtime.workerLogger.error('Failed', { nested: { depth: 2 } });

      expect(logLines().map((line) => line.message)).toEqual(['Skipped', 'Failed']);
      const [warning, failure] = logLines();
      expect(warning).toMatchObject({
        level: 'WARN',
        service: 'thumbnailer',
        key: 'uploads/a/b.jpg',
        requestId: 'r-1',
        reason: 'other',
      });
      expect(failure).toMatchObject({ level: 'ERROR', nested: { depth: 2 } });
    } finally {
      await runtime.repository.close();
    }
  });

  it('gives the database and storage packages the same JSON lines, their details as keys', () => {
    const logger = detailsFirstLoggerFor(createPowertoolsLogger('web-less', 'info'));
    logger.warn(
      { err: new Error('AbortMultipartUpload refused'), bucket: 'b', uploadId: 'u-1' },
      'could not abort a failed multipart upload; the bucket lifecycle rule removes its parts',
    );
    logger.info({ version: 2 }, 'applied database migration');
    const [warning, info] = logLines();
    expect(warning).toMatchObject({
      level: 'WARN',
      message: 'could not abort a failed multipart upload; the bucket lifecycle rule removes its parts',
      bucket: 'b',
      uploadId: 'u-1',
      err: expect.objectContaining({ message: 'AbortMultipartUpload refused' }),
    });
    expect(info).toMatchObject({ level: 'INFO', message: 'applied database migration', version: 2 });
  });

  it('opens the configured storage and the already migrated database', async () => {
    const runtime = await createLambdaRuntime('annotator', { env });
    try {
      expect(runtime.config.storage.kind).toBe('directory');
      await runtime.storage.originals.put('uploads/x/y.txt', new TextEncoder().encode('hi'));
      expect((await runtime.storage.originals.head('uploads/x/y.txt'))?.size).toBe(2);
      expect((await runtime.repository.listPage({ limit: 1 })).images).toEqual([]);
    } finally {
      await runtime.repository.close();
    }
  });

  it("hands each invocation to the worker with its request id and the function's remaining time, and tags the lines with it", async () => {
    const runtime = await createLambdaRuntime('annotator', { env: { ...env, LOG_LEVEL: 'info' } });
    const seen: unknown[] = [];
    const handler = runtime.handler({
      async handle(event, invocation) {
        seen.push([event, invocation]);
        runtime.workerLogger.info('Handled', { requestId: invocation?.requestId });
        return { status: 'skipped', key: 'k', reason: 'test' };
      },
    });
    try {
      let left = 42_000;
      expect(
        await handler(
          { id: 'e-1' },
          lambdaContext('req-9', 'worker', () => left),
        ),
      ).toEqual({
        status: 'skipped',
        key: 'k',
        reason: 'test',
      });
      expect(seen).toEqual([[{ id: 'e-1' }, { requestId: 'req-9', remainingMs: expect.any(Function) }]]);
      // The worker reads Lambda's clock when it asks, not once at the start.
      const [[, invocation]] = seen as [[unknown, { remainingMs: () => number }]];
      left = 7_000;
      expect(invocation.remainingMs()).toBe(7_000);
      expect(logLines().find((line) => line.message === 'Handled')).toMatchObject({
        service: 'annotator',
        requestId: 'req-9',
        function_request_id: 'req-9',
      });
    } finally {
      await runtime.repository.close();
    }
  });
});

describe.runIf(await mariaDbAvailable())('createLambdaRuntime with DATABASE_SECRET_ARN', () => {
  it('reads the credentials from the secret and re-reads it when the password was rotated', async () => {
    const db = await createTestDatabase('worker_runtime');
    await (await openRepository({ database: loadConfig({ DATABASE_URL: db.url }).database })).close();
    const server = new URL(TEST_MYSQL_URL);
    const current = { username: decodeURIComponent(server.username), password: server.password };
    const fetches: { secretId: string; forceFetch: boolean }[] = [];
    const runtime = await createLambdaRuntime('thumbnailer', {
      env: {
        DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db',
        DB_HOST: server.hostname,
        DB_PORT: server.port || '3306',
        DB_NAME: db.name,
        DATA_DIR: path.join(os.tmpdir(), 'worker-runtime-unused'),
      },
      // The cached value is the password from before the rotation; a forced read gets the new one.
      fetchSecret: async (secretId, options) => {
        const forceFetch = options?.forceFetch ?? false;
        fetches.push({ secretId, forceFetch });
        return JSON.stringify(forceFetch ? current : { ...current, password: 'rotated-away' });
      },
    });
    try {
      expect((await runtime.repository.listPage({ limit: 1 })).images).toEqual([]);
      expect(fetches.map((f) => f.forceFetch)).toEqual([false, true]);
      expect(new Set(fetches.map((f) => f.secretId))).toEqual(
        new Set(['arn:aws:secretsmanager:us-east-1:000000000000:secret:db']),
      );
    } finally {
      await runtime.repository.close();
      await db.drop();
    }
  });
});
