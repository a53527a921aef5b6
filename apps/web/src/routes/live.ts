import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { StatusStreams } from '../live/status-streams.ts';
import { idsQuerySchema, parseIds } from './schemas.ts';

export interface LiveOptions {
  readonly streams: StatusStreams;
  /** What a refused stream's page does instead: poll at this interval (STATUS_POLL_MS), in ms. */
  readonly pollMs: number;
}

// No response schema: the 200 body is a stream (the errors are `{"error","message"}` as elsewhere).
const eventsSchema = { querystring: idsQuerySchema } as const;

/**
 * GET /api/images/events?ids=1,2,3: the statuses of those images as server-sent events, pushed as
 * they change (see StatusStreams). Events: `status` (data: the image's entry of
 * /api/images/status), `heartbeat`, `done` (no id left pending: the server ends the response, the page closes the stream) and
 * `closing` (the server is stopping). 503 with Retry-After when the process has its most streams
 * open or is stopping, or when streams are off: the page polls /api/images/status instead.
 */
export const liveRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: LiveOptions }> = async (
  app,
  options,
) => {
  const { streams } = options;
  app.get('/api/images/events', { schema: eventsSchema }, async (request, reply) => {
    const parsed = parseIds(request.query.ids);
    if ('message' in parsed)
      return reply.code(400).send({ error: 'invalid_request', message: parsed.message });
    const body = new PassThrough();
    const sink = {
      write: (text: string) => {
        if (!body.destroyed && !body.writableEnded) body.write(text);
      },
      end: () => body.end(),
    };
    const opened = streams.enabled ? streams.open(parsed.ids, sink) : 'full';
    if (opened === 'full' || opened === 'closed') {
      body.destroy();
      return reply
        .code(503)
        .header('retry-after', String(Math.ceil(options.pollMs / 1000)))
        .send({
          error: 'unavailable',
          message:
            opened === 'closed'
              ? 'The server is stopping; ask /api/images/status instead.'
              : 'Too many status streams are open on this server; ask /api/images/status instead.',
        });
    }
    reply.raw.once('close', () => {
      opened.stop();
      body.destroy();
    });
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no')
      .send(body);
  });
};
