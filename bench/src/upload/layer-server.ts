// One layer of bench:upload-floor (layers.ts) as a server, started like the app by
// @annot/testing's startServer: `UPLOAD_FLOOR_LAYER=<layer> node --expose-gc layer-server.ts`, with
// the app's environment (PORT, HOST, DATABASE_URL, the S3 buckets and endpoint; DATA_DIR without
// them). It answers GET /health, and POST /upload with 201 and what it read:
// `{ bytes, sha256, key? }` (the body's for node-http, the file part's for the others; the key
// its object and row were stored under). Not the app: no checks, no cleanup.

import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { uploadKey } from '@annot/object-keys';
import { createStorage } from '@annot/storage';
import { multipartOptions, UploadReclaimer } from '@annot/web';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { includes, LAYERS, type LayerName, SERVED_LAYERS } from './layers.ts';

const layer = process.env.UPLOAD_FLOOR_LAYER as LayerName;
if (!SERVED_LAYERS.includes(layer)) {
  throw new Error(
    `layer-server.ts: UPLOAD_FLOOR_LAYER is ${JSON.stringify(layer ?? null)}; it serves ${SERVED_LAYERS.join(', ')} ` +
      `(${LAYERS.at(-1)!.name} is the web app itself)`,
  );
}
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
// As the app frees the Buffers of request bodies (started with --expose-gc, as the app is): without
// it, V8 runs a full collection for every 64 MiB of dead Buffers, which costs these servers more
// than the app pays.
const reclaimer = new UploadReclaimer({ log: { warn: (message) => console.warn(message) } });

interface Read {
  readonly bytes: number;
  readonly sha256: string;
  readonly key?: string;
}

/** Hashes and counts a body's chunks as they pass, and tells the reclaimer of each. */
class Tally {
  readonly #hash = createHash('sha256');
  bytes = 0;

  take(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    reclaimer.received(chunk.length);
  }

  digest(): Buffer {
    return this.#hash.digest();
  }
}

if (layer === 'node-http') await nodeHttp();
else await fastify();

async function nodeHttp(): Promise<void> {
  const server = http.createServer((request, response) => {
    if (request.method === 'GET') {
      response.writeHead(request.url === '/health' ? 200 : 404).end();
      return;
    }
    const tally = new Tally();
    request.on('data', (chunk: Buffer) => tally.take(chunk));
    request.on('end', () => {
      const read: Read = { bytes: tally.bytes, sha256: tally.digest().toString('hex') };
      response.writeHead(201, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(read));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
}

async function fastify(): Promise<void> {
  const config = loadConfig(process.env);
  const storage = createStorage(config.storage, config.presign);
  const repository = includes(layer, 'insert')
    ? await openRepository({ database: config.database })
    : undefined;
  const statements = repository && includes(layer, 'three-statements') ? repository : undefined;
  const app = Fastify({ logger: false });
  await app.register(multipart, multipartOptions(config.limits));
  app.get('/health', async () => ({ ok: true }));
  app.post('/upload', async (request, reply) => {
    const part = await request.file();
    if (!part) return reply.code(400).send({ error: 'no file' });
    const tally = new Tally();
    let read: Read;
    if (!includes(layer, 'put')) {
      for await (const chunk of part.file) tally.take(chunk);
      read = { bytes: tally.bytes, sha256: tally.digest().toString('hex') };
    } else {
      // As the app orders it (apps/web/src/upload/accept-file.ts): the row, then the body streamed
      // to the store, its content claimed after its last byte and before the store commits, then
      // the size.
      const key = uploadKey(part.filename, { extension: '.jpg' });
      await repository?.createPending({
        filename: part.filename,
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: null,
        width: 1,
        height: 1,
        uploader: null,
      });
      let digest: Buffer | undefined;
      async function* passOn(): AsyncGenerator<Buffer> {
        for await (const chunk of part!.file) {
          tally.take(chunk);
          yield chunk;
        }
        digest = tally.digest();
        await statements?.claimContent(key, digest);
      }
      await storage.originals.put(key, Readable.from(passOn(), { objectMode: false }), {
        contentType: 'image/jpeg',
        sha256: () => digest,
      });
      await statements?.recordOriginalSize(key, tally.bytes);
      read = { bytes: tally.bytes, sha256: digest!.toString('hex'), key };
    }
    return reply.code(201).type('application/json; charset=utf-8').send(JSON.stringify(read));
  });
  await app.listen({ port, host });
}
