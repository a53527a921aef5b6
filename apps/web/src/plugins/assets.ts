import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly hash: string;
}

/** The files in public/, read once: they are small, and serving them from memory costs nothing. */
export function loadAssets(dir: string = PUBLIC_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    assets.set(name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return assets;
}

/** Versioned URLs for templates: `/static/app.css?v=<hash>`, so they can be cached forever. */
export function assetUrls(assets: ReadonlyMap<string, Asset>): Record<string, string> {
  return Object.fromEntries([...assets].map(([name, asset]) => [name, `/static/${name}?v=${asset.hash}`]));
}

const assetSchema = {
  params: {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 100 } },
    required: ['name'],
  },
  querystring: { type: 'object', properties: { v: { type: 'string', maxLength: 64 } } },
} as const;

/** GET /static/:name. A request with the current version is immutable; any other must revalidate. */
export async function setupAssets(
  app: FastifyInstance,
  options: { assets: ReadonlyMap<string, Asset> },
): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .get('/static/:name', { schema: assetSchema }, async (request, reply) => {
      const asset = options.assets.get(request.params.name);
      if (!asset) return reply.callNotFound();
      const etag = `"${asset.hash}"`;
      reply
        .header('content-type', asset.type)
        .header('etag', etag)
        .header(
          'cache-control',
          request.query.v === asset.hash
            ? 'public, max-age=31536000, immutable'
            : 'public, max-age=0, must-revalidate',
        );
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
}
