import type { Storage } from '@annot/storage';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The origins images are served from. Asking the storage adapter for one URL per bucket at start
 * gives the S3 origins exactly as the presigner builds them (virtual-hosted or path style, custom
 * endpoint), and nothing for the directory adapter, whose URLs are same-origin routes.
 */
export async function imageOrigins(storage: Storage): Promise<string[]> {
  const origins = new Set<string>();
  for (const store of [storage.originals, storage.thumbnails]) {
    const url = await store.urlFor('uploads/csp-probe/image.jpg');
    if (/^https?:\/\//i.test(url)) origins.add(new URL(url).origin);
  }
  return [...origins];
}

/** Security headers, and a Content-Security-Policy that allows no inline script or style. */
export async function setupSecurity(
  app: FastifyInstance,
  options: { imageOrigins: readonly string[] },
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...options.imageOrigins],
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
  });
}
