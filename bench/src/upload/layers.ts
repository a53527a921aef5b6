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
    adds: "the file streamed to S3 through the project's adapter as the app streams it (one signed PUT)",
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

/** The layers bench/src/upload/layer-server.ts serves: all but the last, which is the app. */
export const SERVED_LAYERS: readonly LayerName[] = LAYERS.slice(0, -1).map((l) => l.name);

/** Whether `layer` does what `part` adds (each layer does all the work of those before it). */
export function includes(layer: LayerName, part: LayerName): boolean {
  const index = (name: LayerName) => LAYERS.findIndex((l) => l.name === name);
  return index(layer) >= index(part);
}
