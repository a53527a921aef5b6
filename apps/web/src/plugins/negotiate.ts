import type { FastifyRequest } from 'fastify';

/**
 * Whether to answer with an HTML page rather than JSON: never for the API and file routes, and
 * otherwise only for clients that ask for HTML and not for JSON (the upload page's XHR sends
 * Accept: application/json; a plain form post sends text/html).
 */
export function wantsHtml(request: FastifyRequest): boolean {
  const url = request.url;
  if (
    url.startsWith('/api/') ||
    url.startsWith('/files/') ||
    url.startsWith('/static/') ||
    url === '/health' ||
    url === '/ready'
  ) {
    return false;
  }
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/json')) return false;
  return accept.includes('text/html') || accept.includes('*/*') || accept === '';
}
