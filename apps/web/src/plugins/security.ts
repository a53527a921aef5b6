import type { Storage } from '@annot/storage';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The origins images are served from. Asking the storage adapter for one URL per bucket at start
 * gives the S3 origins exactly as the presigner builds them (virtual-hosted or path style, custom
 * endpoint), the thumbnails' CDN origin when THUMBNAILS_BASE_URL is set, and nothing for the
 * directory adapter's own URLs, which are same-origin routes.
 */
export async function imageOrigins(storage: Storage): Promise<string[]> {
  const origins = new Set<string>();
  for (const store of [storage.originals, storage.thumbnails]) {
    const url = await store.urlFor('uploads/csp-probe/image.jpg');
    if (/^https?:\/\//i.test(url)) origins.add(new URL(url).origin);
  }
  return [...origins];
}

/** helmet's options: its defaults, a Content-Security-Policy that allows no inline script or style. */
export function helmetOptions(imageOrigins: readonly string[]): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...imageOrigins],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Not upgrade-insecure-requests: the ALB listener may be plain HTTP, and upgrading our
        // own same-origin assets to https would then break the page.
      },
    },
    // Presigned image URLs are cross-origin; their query string must not leak in Referer either.
    referrerPolicy: { policy: 'same-origin' },
  };
}

/**
 * The headers helmet's middleware sets, computed once. With these options every one of them is
 * the same for every request (no nonces, no per-request directives), so running the middleware
 * once against a recorder gives exactly what it would set on each response. (@fastify/helmet
 * 13.2 called helmet(options) again on every request, re-parsing the CSP each time.)
 */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    // helmet removes X-Powered-By, which neither Fastify nor this app ever sets.
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    recorder as unknown as Parameters<ReturnType<typeof helmet>>[1],
    (error?: unknown) => {
      failure = error;
    },
  );
  if (failure) throw failure;
  return Object.freeze(headers);
}

/** Security headers on every response (pages, API, assets, errors and 404s alike). */
export async function setupSecurity(
  app: FastifyInstance,
  options: { imageOrigins: readonly string[] },
): Promise<void> {
  const headers = Object.entries(securityHeaders(helmetOptions(options.imageOrigins)));
  // A callback hook, not an async one: it runs on every request.
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
}
