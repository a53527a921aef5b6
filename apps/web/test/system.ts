import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import pino from 'pino';
import { createSystem, type System } from '../src/system.ts';

export interface RunningSystem {
  readonly system: System;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly dataDir: string;
}

/**
 * The system as the production entry builds it, on embedded defaults (SQLite and blobs in a temp
 * DATA_DIR, no workers), listening on a free loopback port. The caller removes dataDir.
 */
export async function startSystem(): Promise<RunningSystem> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-system-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const system = await createSystem({ config, logger: pino({ level: 'silent' }) });
  const url = await system.app.listen({ host: '127.0.0.1', port: 0 });
  return { system, url, dataDir };
}
