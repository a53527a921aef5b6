// The layers bench:upload-floor measures, each a server doing a part of an upload's work: each
// adds one thing to the one before it, and the last is the web app itself.

export const LAYERS = [
  {
    name: 'node-http',
    adds: 'node:http: the body read and hashed (SHA-256), answered 201',
  },
  {
    name: 'fastify-multipart',
    adds: "Fastify and @fastify/multipart (the app's options): the file part read and hashed",
  },
  {
    name: 'put',
    adds: "the file stored in S3 by the project's adapter (one signed PUT)",
  },
  {
    name: 'insert',
    adds: "the image's row written first (repository.createPending: one INSERT)",
  },
  {
    name: 'three-statements',
    adds: "the app's other two statements: the content claim and the original's size",
  },
  {
    name: 'app',
    adds: 'the web app (apps/web/src/main.ts): its hooks, inspection, checks, streaming and answer',
  },
] as const;

export type LayerName = (typeof LAYERS)[number]['name'];

/** Whether `layer` does what `part` adds (each layer does all the work of those before it). */
export function includes(layer: LayerName, part: LayerName): boolean {
  const index = (name: LayerName) => LAYERS.findIndex((l) => l.name === name);
  return index(layer) >= index(part);
}
