import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UPLOADER_COOKIE } from '../auth/permissions.ts';

/**
 * Who may keep a response, decided once here for every route that does not decide itself.
 *
 * The routes that set Cache-Control deliberately:
 * - `/static/:name` (assets.ts): `public, max-age=31536000, immutable` for the current
 *   fingerprinted URL (`?v=<hash>`), revalidate otherwise;
 * - `GET /gallery` (pages.ts, `galleryCacheControl`): shared caches may keep an anonymous
 *   viewer's page for GALLERY_SHARED_MAX_AGE_SECONDS; a page with a viewer's own buttons is
 *   `private, no-cache`;
 * - `GET /images/:id`: `private, no-cache` (it shows the viewer's own actions);
 * - `GET /gallery/cards`: `no-store` (the live fragment; it carries the viewer's buttons).
 *
 * Every other response (the JSON API, uploads, delete and retry, the upload page that hands out
 * the uploader cookie, health checks, errors) is `no-store`: nothing in between keeps it. And a
 * response that sets a cookie is never shared, whatever its route said.
 */
export const DEFAULT_CACHE_CONTROL = 'no-store';

/**
 * An anonymous request: no uploader cookie (valid or not) and no Authorization header, so its
 * gallery is everyone's. CloudFront's gallery cache key holds the same two (infra/src/edge.ts).
 */
export function isAnonymous(request: FastifyRequest): boolean {
  return request.cookies?.[UPLOADER_COOKIE] === undefined && request.headers.authorization === undefined;
}

/**
 * The gallery page's Cache-Control. Shared (CloudFront) only for anonymous viewers, and only
 * briefly: browsers revalidate every time (max-age=0), a shared cache reuses it for
 * `sharedMaxAgeSeconds`. A viewer with a cookie or a token may see buttons on it: private.
 */
export function galleryCacheControl(anonymous: boolean, sharedMaxAgeSeconds: number): string {
  return anonymous && sharedMaxAgeSeconds > 0
    ? `public, max-age=0, s-maxage=${sharedMaxAgeSeconds}`
    : 'private, no-cache';
}

export async function setupCacheControl(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', (_request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const current = reply.getHeader('cache-control');
    if (current === undefined) reply.header('cache-control', DEFAULT_CACHE_CONTROL);
    else if (reply.hasHeader('set-cookie') && /\bpublic\b|s-maxage/.test(String(current))) {
      reply.header('cache-control', 'private, no-store');
    }
    done(null, payload);
  });
}
