import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
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
 * The system as the production entry builds it, listening on a free loopback port: on embedded
 * defaults (SQLite and blobs in a temp DATA_DIR, no workers) unless `env` selects MySQL and S3.
 * The caller removes dataDir.
 */
export async function startSystem(env: Record<string, string> = {}): Promise<RunningSystem> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-system-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const system = await createSystem({ config, logger: pino({ level: 'silent' }) });
  const url = await system.app.listen({ host: '127.0.0.1', port: 0 });
  return { system, url, dataDir };
}

export const SLOW_BOUNDARY = '----slow-upload';

/** The multipart head of one file in the field "image", as a browser sends it. */
export function slowUploadHead(filename: string): Buffer {
  return Buffer.from(
    `--${SLOW_BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
}

/** The multipart tail that ends the body. */
export const SLOW_UPLOAD_TAIL = Buffer.from(`\r\n--${SLOW_BOUNDARY}--\r\n`);

export type SlowUploadResult =
  | { status: number; headers: http.IncomingHttpHeaders; body: string }
  | { error: string };

/**
 * Starts an upload over a real connection and sends only `first` of its body, like a slow client;
 * the caller sends the rest on `request` (or nothing). `response` settles with the answer, or with
 * the connection's error.
 */
export function startSlowUpload(url: string, first: Buffer) {
  const request = http.request(`${url}/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${SLOW_BOUNDARY}`, accept: 'application/json' },
  });
  const response = new Promise<SlowUploadResult>((resolve) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    request.on('error', (error) => resolve({ error: error.message }));
  });
  request.write(first);
  return { request, response };
}
