import { execFile } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { buildObjectCreatedEvent } from '@annot/events';
import { thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import { createStorage, type Storage } from '@annot/storage';
import {
  buildLambdaImage,
  createTestDatabase,
  type FakeGemini,
  invokeLambdaImage,
  type LambdaImage,
  mariaDbAvailable,
  repoRoot,
  startFakeGemini,
  startS3Server,
  type TestDatabase,
  type TestS3Server,
} from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VISION_MODEL } from '../src/index.ts';
import { fixtureBytes } from './support.ts';

/**
 * Each worker's Lambda bundle as built (`node build.mjs`) and installed as its image installs it
 * (the Dockerfile's own steps, carried out by buildLambdaImage: the same npm install of the
 * externals, the same ENV), loaded in a fresh Node process the way the Lambda Node.js runtime loads
 * it, and run on one EventBridge event against MariaDB and s3rver. The bundles are built once for
 * the file (into the apps' dist/, which turbo's `build` tasks also write: this package's `test`
 * task waits for them, see turbo.json); the images' installed packages are cached between runs
 * (as Docker caches the layer), so only a first run downloads them (the vision packages: about
 * 250 MiB).
 */

const buckets = { originals: 'image-test-originals', thumbnails: 'image-test-thumbnails' };
let s3: TestS3Server;
let db: TestDatabase;
let gemini: FakeGemini;
let storage: Storage;
let repository: ImageRepository;
let env: Record<string, string>;
const images: LambdaImage[] = [];

async function image(app: 'thumbnailer' | 'annotator', buildArgs: Record<string, string> = {}) {
  const built = await buildLambdaImage({ context: path.join(repoRoot, 'apps', app), buildArgs });
  images.push(built);
  return built;
}

/** What the web tier does for an upload: the pending row, then the original; and the event S3 sends. */
async function upload(name: string) {
  const bytes = await fixtureBytes(name);
  const key = uploadKey(name);
  await repository.createPending({
    filename: name,
    originalKey: key,
    contentType: 'image/jpeg',
    byteSize: bytes.length,
    width: null,
    height: null,
  });
  const put = await storage.originals.put(key, bytes, {
    contentType: 'image/jpeg',
    contentLength: bytes.length,
  });
  return {
    key,
    event: buildObjectCreatedEvent({ bucket: buckets.originals, key, size: put.size, etag: put.etag }),
  };
}

describe.runIf(await mariaDbAvailable())('each Lambda bundle, as built and installed in its image', () => {
  beforeAll(async () => {
    for (const app of ['thumbnailer', 'annotator']) {
      await promisify(execFile)(process.execPath, ['build.mjs'], { cwd: path.join(repoRoot, 'apps', app) });
    }
    s3 = await startS3Server([buckets.originals, buckets.thumbnails], { versioned: true });
    db = await createTestDatabase('lambda_image');
    gemini = await startFakeGemini();
    env = { DATABASE_URL: db.url, ...s3.env(buckets), LOG_LEVEL: 'warn' };
    const config = loadConfig(env);
    // The web tier migrates; the Lambdas open the database with migrate: false.
    repository = await openRepository({ database: config.database });
    storage = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: s3.credentials },
    });
  }, 600_000);

  afterAll(async () => {
    await Promise.all(images.map((i) => i.remove()));
    await repository?.close();
    await gemini?.stop();
    await db?.drop();
    await s3?.stop();
  });

  it('the thumbnailer writes the thumbnail and records it', async () => {
    const thumbnailer = await image('thumbnailer');
    const { key, event } = await upload('flowers.jpeg');

    const report = await invokeLambdaImage(thumbnailer, {
      env,
      events: [event],
      functionName: 'thumbnailer',
    });

    expect(report.results[0]).toMatchObject({ outcome: { status: 'completed', key } });
    const row = await repository.getByOriginalKey(key);
    expect(row).toMatchObject({ thumbnailStatus: 'completed', thumbnailKey: thumbnailKeyFor(key) });
    const thumbnail = await storage.thumbnails.head(thumbnailKeyFor(key));
    expect(thumbnail?.size).toBeGreaterThan(0);
  }, 300_000);

  it('the Gemini annotator (ANNOTATOR=gemini) records the structured answer of the Gemini API', async () => {
    const annotator = await image('annotator', { ANNOTATOR: 'gemini' });
    // Without a key, this image states facts only: it has no models.
    expect(annotator.env.LOCAL_ANNOTATOR).toBe('facts');
    const { key, event } = await upload('flowers.jpeg');
    gemini.enqueue({
      kind: 'structured',
      caption: 'Pink flowers in a glass vase.',
      tags: [{ label: 'flower', confidence: 0.93 }],
      textInImage: null,
    });

    const report = await invokeLambdaImage(annotator, {
      env: { ...env, GEMINI_API_KEY: 'image-test-key', GEMINI_BASE_URL: gemini.baseUrl },
      events: [event],
      functionName: 'annotator',
    });

    expect(report.results[0]).toMatchObject({ outcome: { status: 'completed', key } });
    expect(gemini.requests.map((r) => r.apiKey)).toEqual(['image-test-key']);
    const row = await repository.getByOriginalKey(key);
    expect(row).toMatchObject({
      annotationStatus: 'completed',
      annotator: 'gemini',
      annotation: 'Pink flowers in a glass vase.',
      tags: [{ label: 'flower', confidence: 0.93, source: 'gemini' }],
    });
  }, 300_000);

  it('the local annotator image (ANNOTATOR=local) holds the vision models and describes what it sees', async () => {
    const annotator = await image('annotator', { ANNOTATOR: 'local' });
    expect(annotator.env.LOCAL_ANNOTATOR).toBe('vision');
    const { key, event } = await upload('Channel_digital_image_CMYK_color.jpg');

    const report = await invokeLambdaImage(annotator, {
      env,
      events: [event],
      functionName: 'annotator',
      timeoutMs: 300_000,
    });

    expect(report.results[0]).toMatchObject({ outcome: { status: 'completed', key } });
    const row = await repository.getByOriginalKey(key);
    expect(row).toMatchObject({
      annotationStatus: 'completed',
      annotator: 'local',
      annotationModel: VISION_MODEL,
    });
    expect(row?.tags.map((t) => t.label)).toContain('dog');
    // The models were loaded from the image, not fetched: no fallback was logged.
    expect(report.output).not.toMatch(/did not load/);

    // The Lambda runs the models in-process; the worker thread the embedded system uses is in the
    // bundle too (chunks/vision-thread.mjs), and loads the models from the image's packages.
    const thread = new Worker(path.join(annotator.taskRoot, 'chunks', 'vision-thread.mjs'), {
      workerData: { modelPaths: {} },
      stdout: true,
    });
    try {
      thread.postMessage({ type: 'load', id: 1 });
      const [answer] = await once(thread, 'message');
      expect(answer).toMatchObject({ type: 'loaded', id: 1, loadMs: expect.any(Number) });
    } finally {
      await thread.terminate();
    }
  }, 600_000);
});
