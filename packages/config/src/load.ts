import path from 'node:path';
import { z } from 'zod';
import {
  readAnnotator,
  readDatabase,
  readGeminiCredentials,
  readLimits,
  readPresign,
  readRedis,
  readServer,
  readStorage,
  readSweep,
  readThumbnail,
} from './config-sections.ts';
import { GALLERY_SHARED_MAX_AGE_LIMIT_SECONDS } from './edge-limits.ts';
import { bool, type Env, EnvReader, int, nonEmpty } from './env-reader.ts';

export type { Env } from './env-reader.ts';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * `queryTimeoutMs` (DB_QUERY_TIMEOUT_MS) is optional in the type so that code building a config by
 * hand may leave it out; the driver then uses the setting's default. `loadConfig` always sets it.
 */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly queryTimeoutMs?: number }
  | {
      readonly kind: 'mysql';
      /** A full mysql:// URL, or undefined until `resolveSecrets` builds it from the secret. */
      readonly url: string | undefined;
      readonly secretArn: string | undefined;
      readonly host: string | undefined;
      readonly port: number;
      readonly database: string;
      readonly poolSize: number;
      /** DB_TLS: `rds` requires TLS and verifies the server against the Amazon RDS CA bundle. */
      readonly tls?: 'off' | 'rds';
      readonly queryTimeoutMs?: number;
      /**
       * A read replica (DATABASE_READ_URL, or DB_READ_HOST with the secret's credentials: then
       * `url` is set by `resolveSecrets`). Absent: every query goes to the primary.
       */
      readonly replica?: { readonly url: string | undefined; readonly host: string | undefined };
    };

/**
 * Where blobs live. `thumbnailsBaseUrl` (THUMBNAILS_BASE_URL, no trailing slash) applies to both
 * kinds: set, thumbnail URLs are `<base>/<key>`, unsigned, e.g. through a CDN. `requestTimeoutMs`
 * (S3_REQUEST_TIMEOUT_MS) is optional as `queryTimeoutMs` is in DatabaseConfig.
 */
export type StorageConfig =
  | { readonly kind: 'directory'; readonly root: string; readonly thumbnailsBaseUrl: string | undefined }
  | {
      readonly kind: 's3';
      readonly originalsBucket: string;
      readonly thumbnailsBucket: string;
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly forcePathStyle: boolean;
      readonly requestTimeoutMs?: number;
      readonly thumbnailsBaseUrl: string | undefined;
    };

export interface RedisConfig {
  /** redis:// or rediss://; its password is set by `resolveSecrets` from `authTokenSecretArn`. */
  readonly url: string;
  readonly authTokenSecretArn: string | undefined;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export interface AppConfig {
  readonly logLevel: LogLevel;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly shutdownTimeoutMs: number;
    readonly trustProxy: boolean;
    /** PUBLIC_ORIGIN: scheme://host[:port] browsers use, behind a CDN; undefined: the request's own. */
    readonly publicOrigin: string | undefined;
    readonly workers: number;
    /** How long /health and /ready wait for each dependency (HEALTH_CHECK_TIMEOUT_MS). */
    readonly healthCheckTimeoutMs: number;
  };
  readonly dataDir: string;
  readonly localWorkers: boolean;
  /** Most local worker runs at once (LOCAL_WORKER_CONCURRENCY; @annot/embedded only). */
  readonly localWorkerConcurrency: number;
  readonly galleryPageSize: number;
  /** Who may change images besides their uploader's browser (apps/web). */
  readonly auth: {
    /** The uploader cookie's signing secret: set by `resolveSecrets` from COOKIE_SECRET_ARN. */
    readonly cookieSecret: string | undefined;
    readonly cookieSecretArn: string | undefined;
    /** The operator token (ADMIN_TOKEN, or by `resolveSecrets` from ADMIN_TOKEN_SECRET_ARN). */
    readonly adminToken: string | undefined;
    readonly adminTokenSecretArn: string | undefined;
  };
  /** How pages learn of status changes: the pushed stream, and polling as its fallback. */
  readonly live: {
    /** The pages' poll interval when the stream is unavailable (STATUS_POLL_MS). */
    readonly pollMs: number;
    /** Most open status streams per process (STATUS_STREAM_MAX_CONNECTIONS; 0: streams off). */
    readonly maxStreams: number;
    /** Heartbeat interval of each stream (STATUS_STREAM_HEARTBEAT_MS). */
    readonly heartbeatMs: number;
    /** How often the watched statuses are read from the database (STATUS_STREAM_CHECK_MS). */
    readonly checkMs: number;
  };
  /** How long a rendered gallery page is reused, per process and cursor (0: not at all). */
  readonly galleryCacheMs: number;
  /** `s-maxage` of an anonymous viewer's gallery page (GALLERY_SHARED_MAX_AGE_SECONDS). */
  readonly gallerySharedMaxAgeSeconds: number;
  /** The shared cache (REDIS_URL); undefined: each process caches its own pages. */
  readonly redis: RedisConfig | undefined;
  /** The reconciliation sweep of each web process (see STALE_UPLOAD_MS). */
  readonly sweep: {
    readonly staleUploadMs: number;
    readonly intervalMs: number;
    readonly batchSize: number;
    readonly renotifyTries: number;
    readonly orphanGuard: number;
  };
  readonly database: DatabaseConfig;
  readonly migrate: boolean;
  readonly storage: StorageConfig;
  readonly presign: { readonly expiresSeconds: number; readonly cacheSeconds: number };
  readonly limits: {
    readonly maxUploadBytes: number;
    readonly maxFilesPerUpload: number;
    readonly maxInputPixels: number;
    /** An upload body idle this long is ended (UPLOAD_IDLE_TIMEOUT_MS). */
    readonly uploadIdleTimeoutMs: number;
    /** An upload request longer than this is ended (UPLOAD_MAX_DURATION_MS). */
    readonly uploadMaxDurationMs: number;
    /** How long a file identical to one still being stored waits for it (UPLOAD_DUPLICATE_WAIT_MS). */
    readonly uploadDuplicateWaitMs: number;
  };
  /** Where the web tier sends retry events (EVENT_BUS_NAME unset: no EventBridge). */
  readonly events: {
    readonly busName: string | undefined;
    /** Longest one PutEvents call may take, retries included (EVENT_PUBLISH_TIMEOUT_MS). */
    readonly publishTimeoutMs: number;
  };
  /** How long a worker's claim on one stage of an image lasts (STAGE_LEASE_MS). */
  readonly stageLeaseMs: number;
  /** When a worker's time for one event runs out. */
  readonly workerDeadline: {
    /** Outside Lambda, the time one event may take (WORKER_DEADLINE_MS); Lambda uses its remaining time. */
    readonly localMs: number;
    /** Kept back before the deadline for recording the result (DEADLINE_RESERVE_MS). */
    readonly reserveMs: number;
  };
  readonly thumbnail: {
    readonly width: number;
    readonly height: number;
    readonly fit: 'cover' | 'inside';
    readonly quality: number;
    readonly background: string;
  };
  readonly annotator: {
    readonly kind: 'gemini' | 'local';
    /** The key itself; set from GEMINI_API_KEY or by `resolveSecrets` from the secret. */
    readonly geminiApiKey: string | undefined;
    readonly geminiApiKeySecretArn: string | undefined;
    readonly model: string;
    readonly baseUrl: string | undefined;
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly maxEdge: number;
    /** Which local annotator runs without Gemini: the offline vision models, or facts only. */
    readonly local: 'vision' | 'facts';
    /** Object labels (and face detections) under this confidence are dropped. */
    readonly minLabelConfidence: number;
    /** OCR lines under this recognition confidence are dropped. */
    readonly minTextConfidence: number;
    /** nsfwjs Porn + Hentai + Sexy at or above this share marks an image sensitive. */
    readonly sensitiveThreshold: number;
  };
}

/**
 * Reads the environment once, validates every setting and returns typed config. Problems are
 * reported in the order the sections below read their variables.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const r = new EnvReader(env);
  const dataDir = path.resolve(cwd, r.read('DATA_DIR', nonEmpty));
  const database = readDatabase(r, dataDir);
  const storage = readStorage(r, dataDir);
  const presign = readPresign(r);
  const geminiCredentials = readGeminiCredentials(r);
  const config: AppConfig = {
    logLevel: r.read('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
    server: readServer(r),
    dataDir,
    localWorkers: r.read('LOCAL_WORKERS', bool),
    localWorkerConcurrency: r.read('LOCAL_WORKER_CONCURRENCY', int(1, 64)),
    galleryPageSize: r.read('GALLERY_PAGE_SIZE', int(1, 200)),
    auth: {
      cookieSecret: undefined,
      cookieSecretArn: r.read('COOKIE_SECRET_ARN', nonEmpty, true),
      adminToken: r.read('ADMIN_TOKEN', nonEmpty, true),
      adminTokenSecretArn: r.read('ADMIN_TOKEN_SECRET_ARN', nonEmpty, true),
    },
    live: {
      pollMs: r.read('STATUS_POLL_MS', int(100, 86_400_000)),
      maxStreams: r.read('STATUS_STREAM_MAX_CONNECTIONS', int(0, 100_000)),
      heartbeatMs: r.read('STATUS_STREAM_HEARTBEAT_MS', int(100, 600_000)),
      checkMs: r.read('STATUS_STREAM_CHECK_MS', int(10, 600_000)),
    },
    galleryCacheMs: r.read('GALLERY_CACHE_MS', int(0, 600000)),
    gallerySharedMaxAgeSeconds: r.read(
      'GALLERY_SHARED_MAX_AGE_SECONDS',
      int(0, GALLERY_SHARED_MAX_AGE_LIMIT_SECONDS),
    ),
    redis: readRedis(r),
    database,
    migrate: r.read('DB_MIGRATE', bool),
    storage,
    presign,
    limits: readLimits(r),
    sweep: readSweep(r),
    events: {
      busName: r.read('EVENT_BUS_NAME', nonEmpty, true),
      publishTimeoutMs: r.read('EVENT_PUBLISH_TIMEOUT_MS', int(100, 60_000)),
    },
    stageLeaseMs: r.read('STAGE_LEASE_MS', int(100, 86_400_000)),
    workerDeadline: {
      localMs: r.read('WORKER_DEADLINE_MS', int(1000, 86_400_000)),
      reserveMs: r.read('DEADLINE_RESERVE_MS', int(0, 600_000)),
    },
    thumbnail: readThumbnail(r),
    annotator: readAnnotator(r, geminiCredentials),
  };
  // Outside Lambda, an attempt starts only if a whole GEMINI_TIMEOUT_MS fits before the deadline:
  // one that never fits would leave every annotation pending.
  const { localMs, reserveMs } = config.workerDeadline;
  if (config.annotator.timeoutMs > localMs - reserveMs) {
    r.fail(
      'GEMINI_TIMEOUT_MS',
      `must fit in WORKER_DEADLINE_MS (${localMs}) less DEADLINE_RESERVE_MS (${reserveMs}), or no Gemini attempt could start`,
    );
  }
  r.throwIfInvalid();
  // The sweep removes a row whose original has not arrived after STALE_UPLOAD_MS, so no upload may
  // still be arriving by then: the longest upload is held to 90% of it (a short STALE_UPLOAD_MS,
  // as in tests, shortens uploads rather than being refused).
  const uploadMaxDurationMs = Math.min(
    config.limits.uploadMaxDurationMs,
    Math.floor(config.sweep.staleUploadMs * 0.9),
  );
  return { ...config, limits: { ...config.limits, uploadMaxDurationMs } };
}
