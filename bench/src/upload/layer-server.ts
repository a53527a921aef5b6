// One layer of bench:upload-floor (layers.ts) as a server: `node layer-server.ts <layer>`, with
// the web app's environment (DATABASE_URL, the S3 buckets and endpoint) and node flags (--expose-gc). It listens on a loopback
// port and sends `{ port }` to its parent once it is ready. Not the app: no checks, no cleanup.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { uploadKey } from '@annot/object-keys';
import { createStorage } from '@annot/storage';
import { multipartOptions, UploadReclaimer } from '@annot/web';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { includes, LAYERS, type LayerName } from './layers.ts';

const layer = process.argv[2] as LayerName;
if (!LAYERS.some((l) => l.name === layer) || layer === 'app') {
  throw new Error(`layer-server.ts: unknown layer ${JSON.stringify(layer)}`);
}
const ANSWER = JSON.stringify({ stored: true });
// As the app frees the Buffers of request bodies (started with --expose-gc, as the app is): without
// it, V8 runs a full collection for every 64 MiB of dead Buffers, which costs these servers more
// than the app pays.
const reclaimer = new UploadReclaimer({ log: { warn: (message) => console.warn(message) } });

const port = layer === 'node-http' ? await nodeHttp() : await fastify();
process.send?.({ port });

async function nodeHttp(): Promise<number> {
  const server = http.createServer((request, response) => {
    const hash = createHash('sha256');
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      reclaimer.received(chunk.length);
    });
    request.on('end', () => {
      hash.digest();
      response.writeHead(201, { 'content-type': 'application/json; charset=utf-8' });
      response.end(ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function fastify(): Promise<number> {
  const config = loadConfig(process.env);
  const storage = createStorage(config.storage, config.presign);
  const repository = includes(layer, 'insert')
    ? await openRepository({ database: config.database, migrate: false })
    : undefined;
  const app = Fastify({ logger: false });
  await app.register(multipart, multipartOptions(config.limits));
  app.post('/upload', async (request, reply) => {
    const part = await request.file();
    if (!part) return reply.code(400).send({ error: 'no file' });
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    for await (const chunk of part.file) {
      hash.update(chunk);
      chunks.push(chunk);
      reclaimer.received(chunk.length);
    }
    const sha256 = hash.digest();
    const body = Buffer.concat(chunks);
    const key = uploadKey(part.filename, { extension: '.jpg' });
    if (repository) {
      await repository.createPending({
        filename: part.filename,
        originalKey: key,
        contentType: 'image/jpeg',
        byteSize: null,
        width: 1,
        height: 1,
        uploader: null,
      });
    }
    if (repository && includes(layer, 'three-statements')) await repository.claimContent(key, sha256);
    if (includes(layer, 'put')) {
      await storage.originals.put(key, body, { contentType: 'image/jpeg', sha256: () => sha256 });
    }
    if (repository && includes(layer, 'three-statements'))
      await repository.recordOriginalSize(key, body.length);
    return reply.code(201).type('application/json; charset=utf-8').send(ANSWER);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}
