import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import type { StatusJson, System } from '@annot/web';
import pino from 'pino';
import { createEmbeddedSystem, type EmbeddedSystemOptions } from '../src/system.ts';

export interface RunningSystem {
  readonly system: System;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * The dev system as `pnpm dev` runs it (SQLite and blobs in a temp DATA_DIR, the local bus, both
 * workers), listening on a free loopback port. The annotator is the facts-only one unless `env`
 * says LOCAL_ANNOTATOR=vision: these tests are about the system, and the vision models' load and
 * OCR take seconds on a busy 2-core machine (e2e.test.ts runs the default, vision, once).
 */
export async function startDevSystem(
  env: Record<string, string> = {},
  workerDelayMs?: number,
  hooks: Pick<EmbeddedSystemOptions, 'aroundDelivery' | 'workerStorage'> = {},
): Promise<RunningSystem> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'embedded-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOCAL_ANNOTATOR: 'facts',
    ...env,
  });
  const system = await createEmbeddedSystem({
    config,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(workerDelayMs === undefined ? {} : { workerDelayMs }),
    ...hooks,
  });
  const url = await system.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    system,
    url,
    dataDir,
    async stop() {
      await system.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls /api/images/status (as the gallery does) until no image is pending, or fails after timeoutMs. */
export async function waitUntilSettled(
  url: string,
  ids: readonly number[],
  timeoutMs = 60_000,
): Promise<StatusJson[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/api/images/status?ids=${ids.join(',')}`);
    const { images } = (await response.json()) as { images: StatusJson[] };
    const pending = images.filter((i) => i.annotationStatus === 'pending' || i.thumbnailStatus === 'pending');
    if (images.length === ids.length && pending.length === 0) return images;
    if (Date.now() > deadline) {
      throw new Error(`Still pending after ${timeoutMs} ms: ${JSON.stringify(pending)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
