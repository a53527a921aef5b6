import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { InvalidEventError } from '@annot/events';
import { createStorage } from '@annot/storage';
import { type FakeGemini, startFakeGemini } from '@annot/testing';
import { captureLogLines, lambdaContext, uploadOriginal } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransientAnnotationError } from '../src/index.ts';
import { fixtureBytes } from './support.ts';

// The Lambda module wires everything at import, from the environment, once per container. This
// runs it on the embedded back end with the Gemini annotator pointed at the loopback server.
let dir: string;
let gemini: FakeGemini;
let lambda: typeof import('../src/lambda.ts');
let logLines: () => Record<string, unknown>[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'annotator-lambda-'));
  gemini = await startFakeGemini();
  const env = {
    DATA_DIR: dir,
    GEMINI_API_KEY: 'lambda-key',
    GEMINI_BASE_URL: gemini.baseUrl,
    GEMINI_MODEL: 'gemini-3.5-flash',
  };
  // The web tier migrates; the Lambda opens the database with migrate: false.
  const migrated = await openRepository({ database: loadConfig(env, dir).database });
  await migrated.close();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  logLines = captureLogLines().lines;
  lambda = await import('../src/lambda.ts');
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await gemini.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the Lambda entry point', () => {
  it('annotates an upload with Gemini and logs JSON lines carrying the key and request id', async () => {
    const config = loadConfig({ DATA_DIR: dir }, dir);
    const storage = createStorage(config.storage, config.presign);
    const repository = await openRepository({ database: config.database, migrate: false });
    const bytes = await fixtureBytes('flowers.jpeg');
    const { key, event } = await uploadOriginal({ storage, repository }, bytes, 'flowers.jpeg', 'image/jpeg');
    await repository.close();
    gemini.enqueue({ kind: 'structured', caption: 'Pink flowers.' });

    const outcome = await lambda.handler(event, lambdaContext('req-λ-1', 'annotator'));

    expect(outcome).toEqual({ status: 'completed', key });
    expect(gemini.requests.map((r) => r.apiKey)).toEqual(['lambda-key']);
    const written = logLines().find((line) => line.message === 'Annotation written');
    expect(written).toMatchObject({
      level: 'INFO',
      service: 'annotator',
      key,
      requestId: 'req-λ-1',
      function_request_id: 'req-λ-1',
      annotator: 'gemini',
      model: 'gemini-3.5-flash',
    });
  });

  it("stops before the function's remaining time runs out: a wait that would not fit is left to the platform", async () => {
    const config = loadConfig({ DATA_DIR: dir }, dir);
    const storage = createStorage(config.storage, config.presign);
    const repository = await openRepository({ database: config.database, migrate: false });
    const { key, event } = await uploadOriginal(
      { storage, repository },
      await fixtureBytes('flowers.jpeg'),
      'flowers.jpeg',
      'image/jpeg',
    );
    gemini.reset();
    gemini.enqueue(
      { kind: 'error', status: 429, retryDelaySeconds: 10 },
      { kind: 'structured', caption: 'Pink flowers.' },
    );

    try {
      // 20 s left, 5 s kept back (DEADLINE_RESERVE_MS): after a 10 s wait, 5 s would be left,
      // less than one 12 s attempt (GEMINI_TIMEOUT_MS).
      const error = await lambda
        .handler(
          event,
          lambdaContext('req-λ-3', 'annotator', () => 20_000),
        )
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TransientAnnotationError);
      expect((error as Error).message).toMatch(/a wait of 10000 ms and another attempt of up to 12000 ms/);
      expect(gemini.requests).toHaveLength(1);
      // The event is kept (thrown for the platform's retries and the DLQ); the row is not failed.
      expect(await repository.getByOriginalKey(key)).toMatchObject({ annotationStatus: 'pending' });
    } finally {
      await repository.close();
    }
  });

  it('makes no Gemini call when less than one attempt is left', async () => {
    const config = loadConfig({ DATA_DIR: dir }, dir);
    const storage = createStorage(config.storage, config.presign);
    const repository = await openRepository({ database: config.database, migrate: false });
    const { event } = await uploadOriginal(
      { storage, repository },
      await fixtureBytes('flowers.jpeg'),
      'flowers2.jpeg',
      'image/jpeg',
    );
    await repository.close();
    gemini.reset();

    await expect(
      lambda.handler(
        event,
        lambdaContext('req-λ-4', 'annotator', () => 16_000),
      ),
    ).rejects.toThrow(/^No time for a Gemini call/);
    expect(gemini.requests).toHaveLength(0);
  });

  it('logs and rethrows a malformed event', async () => {
    await expect(
      lambda.handler({ hello: 'world' }, lambdaContext('req-λ-2', 'annotator')),
    ).rejects.toBeInstanceOf(InvalidEventError);

    expect(logLines().find((line) => line.message === 'Rejected a malformed event')).toMatchObject({
      level: 'ERROR',
      function_request_id: 'req-λ-2',
    });
  });
});
