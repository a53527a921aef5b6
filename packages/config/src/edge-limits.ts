/**
 * The longest a shared cache may keep a gallery page: the app's GALLERY_SHARED_MAX_AGE_SECONDS is
 * at most this, and the CloudFront gallery policy (infra/src/edge.ts) keeps a page at most this long
 * whatever the origin says. Its own module, so that infra bundles it without the rest of the config.
 */
export const GALLERY_SHARED_MAX_AGE_LIMIT_SECONDS = 300;
