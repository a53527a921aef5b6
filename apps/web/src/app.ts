import type { AppConfig } from '@annot/config';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { localCookieSecret } from './auth/cookie-secret.ts';
import { Permissions } from './auth/permissions.ts';
import { type RequestStage, renotifyStageRequester } from './events/request-stage.ts';
import { StatusStreams } from './live/status-streams.ts';
import { assetUrls, loadAssets, setupAssets } from './plugins/assets.ts';
import { setupCacheControl } from './plugins/cache-control.ts';
import { setupErrors } from './plugins/errors.ts';
import { setupFiniteNumbers } from './plugins/finite-numbers.ts';
import { imageOrigins, setupSecurity } from './plugins/security.ts';
import { setupViews } from './plugins/views.ts';
import { actionRoutes } from './routes/actions.ts';
import { apiImagesRoutes } from './routes/api-images.ts';
import { filesRoutes } from './routes/files.ts';
import { GalleryCache, type GalleryPageCache } from './routes/gallery-cache.ts';
import { healthRoutes } from './routes/health.ts';
import { liveRoutes } from './routes/live.ts';
import { type GalleryPage, galleryPageCodec, pageRoutes } from './routes/pages.ts';
import { SharedGalleryCache } from './routes/shared-gallery-cache.ts';
import { uploadRoutes } from './routes/upload.ts';
import { connectSharedCache, type SharedCache } from './shared-cache.ts';
import { ShuttingDownError } from './unavailable.ts';
import { InFlightUploads } from './upload/in-flight.ts';
import { UploadReclaimer } from './upload/reclaim.ts';

export interface AppOptions {
  readonly config: AppConfig;
  readonly repository: ImageRepository;
  readonly storage: Storage;
  /**
   * Asks the workers to run a stage of an image again (the retry route's one way to reach them).
   * createSystem chooses it (EventBridge, the embedded bus, or raising Object Created again);
   * without one, the original's Object Created event is raised again (storage.originals.renotify).
   */
  readonly requestStage?: RequestStage;
  /**
   * The status streams of GET /api/images/events (createSystem makes them first, so that the
   * embedded system's workers can tell them of each recorded stage); by default made here.
   */
  readonly statusStreams?: StatusStreams;
  /**
   * The shared cache (REDIS_URL), when the caller connected it (createSystem does, to share the
   * presigned URLs too; it closes it). Without one and with REDIS_URL set, the app connects its
   * own and closes it with the server.
   */
  readonly sharedCache?: SharedCache;
  /** Frees the garbage of upload bodies (default: a scavenge every 4 MiB received, with --expose-gc). */
  readonly reclaimer?: UploadReclaimer;
  /** The clock the gallery page cache measures GALLERY_CACHE_MS on (default performance.now; tests step one). */
  readonly clock?: { now(): number };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The uploads in progress, for a graceful shutdown. */
    readonly uploads: InFlightUploads;
  }
}

/**
 * The web app as a Fastify plugin: registers its plugins and routes on the instance it is given
 * (server.ts owns the instance and its options). It does not own or close the repository and
 * storage it is given.
 */
async function app(server: FastifyInstance, options: AppOptions): Promise<void> {
  const { config, repository, storage } = options;
  const uploads = new InFlightUploads();
  server.decorate('uploads', uploads);
  // Once shutdown has begun, keep-alive connections are closed after their current response, so
  // the server is not held open by idle connections (the ALB's, a browser's) until they time out.
  // (A callback hook, not an async one: it runs on every response, including the gallery's.)
  server.addHook('onSend', (_request, reply, payload, done) => {
    if (uploads.closed) reply.header('connection', 'close');
    done(null, payload);
  });
  const assets = loadAssets();
  const streams =
    options.statusStreams ?? new StatusStreams({ repository, storage, log: server.log, ...config.live });
  // Once the server is closing (it waits for the requests in flight), a request arriving on a
  // connection opened before (a keep-alive one, as the ALB's) is refused whole with the shutdown's
  // 503 before any of it is read (Fastify adds Connection: close). In place of Fastify's own 503
  // (return503OnClosing, off in server.ts).
  let closing = false;
  server.addHook('onRequest', (request, _reply, done) => {
    if (!closing) return done();
    done(
      new ShuttingDownError(
        request.method === 'POST' && request.url.startsWith('/upload') ? 'upload' : 'request',
      ),
    );
  });
  // Open streams would hold the server's close forever: they end before it waits for requests.
  server.addHook('preClose', (done) => {
    closing = true;
    uploads.close();
    streams.close();
    done();
  });

  await setupSecurity(server, { imageOrigins: await imageOrigins(storage) });
  // The pages' live status settings (layout.eta puts them on <body> for gallery.js and actions.js).
  const live = {
    pollMs: config.live.pollMs,
    heartbeatMs: config.live.heartbeatMs,
    streams: config.live.maxStreams > 0,
  };
  await setupViews(server, { context: { assets: assetUrls(assets), live } });
  await setupErrors(server);
  await setupFiniteNumbers(server);
  await setupCacheControl(server);
  await setupAssets(server, { assets });
  // The uploader cookie's signature: COOKIE_SECRET_ARN's secret, or one generated under DATA_DIR.
  const cookieSecret = config.auth.cookieSecret ?? (await localCookieSecret(config.dataDir));
  await server.register(cookie, { secret: cookieSecret });
  const permissions = new Permissions({
    adminToken: config.auth.adminToken,
    publicOrigin: config.server.publicOrigin,
  });

  await server.register(healthRoutes, {
    repository,
    storage,
    timeoutMs: config.server.healthCheckTimeoutMs,
  });
  const galleryCache = await galleryCacheFor(config, server, options.sharedCache, options.clock);
  await server.register(pageRoutes, {
    repository,
    storage,
    pageSize: config.galleryPageSize,
    ...config.limits,
    galleryCache,
    permissions,
    sharedMaxAgeSeconds: config.gallerySharedMaxAgeSeconds,
  });
  await server.register(uploadRoutes, {
    repository,
    storage,
    limits: config.limits,
    idleTimeoutMs: config.limits.uploadIdleTimeoutMs,
    maxDurationMs: config.limits.uploadMaxDurationMs,
    inFlight: uploads,
    // The uploader is sent to the first page next: it must not be a copy from before the upload.
    onAccepted: () => galleryCache.invalidateFirstPage(),
    reclaimer: options.reclaimer ?? new UploadReclaimer({ log: server.log }),
    permissions,
  });
  await server.register(apiImagesRoutes, { repository, storage, pageSize: config.galleryPageSize });
  await server.register(liveRoutes, { streams, pollMs: config.live.pollMs });
  await server.register(actionRoutes, {
    repository,
    storage,
    permissions,
    requestStage: options.requestStage ?? renotifyStageRequester(storage.originals).requestStage,
    // A deleted or retried image may be on any cached page.
    onChanged: () => galleryCache.invalidateAll(),
  });
  if (config.storage.kind === 'directory') await server.register(filesRoutes, { storage });
}

/**
 * With REDIS_URL, pages shared by every web process through Redis (closed with the server);
 * without it, this process's own.
 */
async function galleryCacheFor(
  config: AppConfig,
  server: FastifyInstance,
  given: SharedCache | undefined,
  clock: { now(): number } | undefined,
): Promise<GalleryPageCache<GalleryPage>> {
  let shared = given;
  if (!shared && config.redis) {
    const own = await connectSharedCache(config.redis, server.log.child({ component: 'shared-cache' }));
    server.addHook('onClose', () => own.close());
    shared = own;
  }
  if (!shared) return new GalleryCache<GalleryPage>({ ttlMs: config.galleryCacheMs, clock });
  return new SharedGalleryCache<GalleryPage>({
    redis: shared.redis,
    keyPrefix: shared.keyPrefix,
    ttlMs: config.galleryCacheMs,
    codec: galleryPageCodec,
    health: shared.health,
    ...(clock ? { clock } : {}),
  });
}

/**
 * Not encapsulated (fastify-plugin): the decorator, hooks and handlers it sets apply to the
 * instance it is registered on, so the graceful shutdown finds `uploads` on the server itself.
 */
export const webApp = fp(app, { name: '@annot/web', fastify: '5.x' });
