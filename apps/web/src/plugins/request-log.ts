import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request, on completion, with the fields worth grepping for. Fastify's default
 * writes two lines per request with full request and response objects, which at gallery load
 * rates is a measurable share of the work.
 */
export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    // The ALB polls /health every few seconds, and /ready is for polling too: only what a dependency
    // failed is worth a line (logged by the route).
    else if (request.url !== '/health' && request.url !== '/ready') reply.log.info(line, 'request completed');
  }
}
