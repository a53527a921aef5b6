/** The database, storage, presign, server, limits, thumbnail and annotator sections of the config. */
import path from 'node:path';
import { z } from 'zod';
import { bool, type EnvReader, httpUrl, int, nonEmpty } from './env-reader.ts';
import { MAX_ANNOTATION_EDGE } from './gemini-limits.ts';
import type { AppConfig, DatabaseConfig, RedisConfig, StorageConfig } from './load.ts';

const mysqlUrl = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'mysql:' && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected mysql://user:pass@host:3306/database');

/**
 * A base URL that keys are appended to: http(s) with "//", no credentials, query or fragment.
 * Stored as origin + path without trailing slashes, so `<base>/<key>` never has a double slash.
 */
const baseUrl = nonEmpty
  .refine((value) => {
    try {
      const url = new URL(value);
      return /^https?:\/\//i.test(value) && !/[?#]/.test(value) && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL with no query, fragment or credentials')
  .transform((value) => {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

/** scheme://host[:port], nothing else: what a browser sends as Origin. */
const origin = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}, 'expected an origin like https://example.com (scheme and host, no path or trailing slash)');

const bucketName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
  );

const colour = z
  .string()
  .trim()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'expected a colour like #ffffff');

/** One or more host names, comma-separated. */
const hostList = nonEmpty
  .transform((value) => value.split(',').map((host) => host.trim()))
  .refine(
    (hosts) => hosts.every((host) => /^[A-Za-z0-9.-]{1,253}$/.test(host)),
    'expected host names separated by commas',
  );

const redisUrl = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected redis://host:6379 or rediss://host:6379 (TLS)');

/** The shared cache, when REDIS_URL is set. */
export function readRedis(r: EnvReader): RedisConfig | undefined {
  const url = r.read('REDIS_URL', redisUrl, true);
  const authTokenSecretArn = r.read('REDIS_AUTH_TOKEN_SECRET_ARN', nonEmpty, true);
  const keyPrefix = r.read('REDIS_KEY_PREFIX', z.string().max(64, 'must be at most 64 characters'));
  const commandTimeoutMs = r.read('REDIS_COMMAND_TIMEOUT_MS', int(10, 60_000));
  const connectTimeoutMs = r.read('REDIS_CONNECT_TIMEOUT_MS', int(100, 60_000));
  if (authTokenSecretArn && !url) r.fail('REDIS_AUTH_TOKEN_SECRET_ARN', 'needs REDIS_URL too');
  if (!url) return undefined;
  return { url, authTokenSecretArn, keyPrefix, commandTimeoutMs, connectTimeoutMs };
}

/** MySQL from DATABASE_URL or DATABASE_SECRET_ARN (+ DB_HOST); otherwise SQLite under DATA_DIR. */
export function readDatabase(r: EnvReader, dataDir: string): DatabaseConfig {
  const databaseUrl = r.read('DATABASE_URL', mysqlUrl, true);
  const databaseSecretArn = r.read('DATABASE_SECRET_ARN', nonEmpty, true);
  const dbHost = r.read('DB_HOST', nonEmpty, true);
  const dbPort = r.read('DB_PORT', int(1, 65535));
  const dbName = r.read(
    'DB_NAME',
    z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a MySQL database name'),
  );
  const poolSize = r.read('DB_POOL_SIZE', int(1, 1000));
  const tls = r.read('DB_TLS', z.enum(['off', 'rds'], { error: 'expected off or rds' }));
  const queryTimeoutMs = r.read('DB_QUERY_TIMEOUT_MS', int(50, 600_000));
  if (databaseSecretArn && !databaseUrl && !dbHost) {
    r.fail('DB_HOST', 'is required when DATABASE_SECRET_ARN is set');
  }
  const readUrl = r.read('DATABASE_READ_URL', mysqlUrl, true);
  const readHosts = r.read('DB_READ_HOST', hostList, true);
  if (readUrl && !databaseUrl) r.fail('DATABASE_READ_URL', 'needs DATABASE_URL (the primary) too');
  if (readHosts && !databaseSecretArn)
    r.fail('DB_READ_HOST', 'needs DATABASE_SECRET_ARN (its credentials) too');
  if (readUrl && readHosts) r.fail('DB_READ_HOST', 'set DATABASE_READ_URL or DB_READ_HOST, not both');
  // Each process picks one replica, so the processes of a fleet spread over them.
  const readHost = readHosts?.[Math.floor(Math.random() * readHosts.length)];
  const replica = readUrl || readHost ? { replica: { url: readUrl, host: readHost } } : {};
  return databaseUrl || databaseSecretArn
    ? {
        kind: 'mysql',
        url: databaseUrl,
        secretArn: databaseUrl ? undefined : databaseSecretArn,
        host: dbHost,
        port: dbPort,
        database: dbName,
        poolSize,
        tls,
        queryTimeoutMs,
        ...replica,
      }
    : { kind: 'sqlite', path: path.join(dataDir, 'annotations.sqlite'), queryTimeoutMs };
}

/** S3 when both buckets are named; otherwise a directory under DATA_DIR. */
export function readStorage(r: EnvReader, dataDir: string): StorageConfig {
  const originalsBucket = r.read('ORIGINALS_BUCKET', bucketName, true);
  const thumbnailsBucket = r.read('THUMBNAILS_BUCKET', bucketName, true);
  if (Boolean(originalsBucket) !== Boolean(thumbnailsBucket)) {
    r.fail(
      originalsBucket ? 'THUMBNAILS_BUCKET' : 'ORIGINALS_BUCKET',
      'ORIGINALS_BUCKET and THUMBNAILS_BUCKET must be set together',
    );
  }
  const region = r.read('AWS_REGION', nonEmpty);
  const thumbnailsBaseUrl = r.read('THUMBNAILS_BASE_URL', baseUrl, true);
  return originalsBucket && thumbnailsBucket
    ? {
        kind: 's3',
        originalsBucket,
        thumbnailsBucket,
        region,
        endpoint: r.read('S3_ENDPOINT', httpUrl, true),
        forcePathStyle: r.read('S3_FORCE_PATH_STYLE', bool),
        requestTimeoutMs: r.read('S3_REQUEST_TIMEOUT_MS', int(100, 600_000)),
        thumbnailsBaseUrl,
      }
    : { kind: 'directory', root: path.join(dataDir, 'blobs'), thumbnailsBaseUrl };
}

export function readPresign(r: EnvReader): AppConfig['presign'] {
  const presign = {
    expiresSeconds: r.read('PRESIGN_EXPIRES_SECONDS', int(60, 604800)),
    cacheSeconds: r.read('PRESIGN_CACHE_SECONDS', int(0, 604800)),
  };
  if (presign.expiresSeconds !== undefined && presign.cacheSeconds > presign.expiresSeconds / 2) {
    r.fail(
      'PRESIGN_CACHE_SECONDS',
      `must be at most half of PRESIGN_EXPIRES_SECONDS (${presign.expiresSeconds}), so a cached URL never expires in a page`,
    );
  }
  return presign;
}

export function readServer(r: EnvReader): AppConfig['server'] {
  return {
    host: r.read('HOST', nonEmpty),
    port: r.read('PORT', int(0, 65535)),
    shutdownTimeoutMs: r.read('SHUTDOWN_TIMEOUT_MS', int(0, 600000)),
    trustProxy: r.read('TRUST_PROXY', bool),
    publicOrigin: r.read('PUBLIC_ORIGIN', origin, true),
    workers: r.read('WEB_WORKERS', int(0, 256)),
    healthCheckTimeoutMs: r.read('HEALTH_CHECK_TIMEOUT_MS', int(50, 60_000)),
  };
}

export function readLimits(r: EnvReader): AppConfig['limits'] {
  return {
    maxUploadBytes: r.read('MAX_UPLOAD_BYTES', int(1, Number.MAX_SAFE_INTEGER)),
    maxFilesPerUpload: r.read('MAX_FILES_PER_UPLOAD', int(1, 1000)),
    maxInputPixels: r.read('MAX_INPUT_PIXELS', int(1, Number.MAX_SAFE_INTEGER)),
    uploadIdleTimeoutMs: r.read('UPLOAD_IDLE_TIMEOUT_MS', int(100, 3_600_000)),
    uploadMaxDurationMs: r.read('UPLOAD_MAX_DURATION_MS', int(1000, 86_400_000)),
    uploadDuplicateWaitMs: r.read('UPLOAD_DUPLICATE_WAIT_MS', int(0, 600_000)),
  };
}

export function readSweep(r: EnvReader): AppConfig['sweep'] {
  return {
    staleUploadMs: r.read('STALE_UPLOAD_MS', int(1000, 7 * 24 * 3_600_000)),
    intervalMs: r.read('SWEEP_INTERVAL_MS', int(0, 24 * 3_600_000)),
    batchSize: r.read('SWEEP_BATCH_SIZE', int(1, 1000)),
    renotifyTries: r.read('SWEEP_RENOTIFY_TRIES', int(0, 100)),
    orphanGuard: r.read('SWEEP_ORPHAN_GUARD', int(0, 1000)),
  };
}

export function readThumbnail(r: EnvReader): AppConfig['thumbnail'] {
  return {
    width: r.read('THUMBNAIL_WIDTH', int(1, 4096)),
    height: r.read('THUMBNAIL_HEIGHT', int(1, 4096)),
    fit: r.read('THUMBNAIL_FIT', z.enum(['cover', 'inside'], { error: 'expected cover or inside' })),
    quality: r.read('THUMBNAIL_QUALITY', int(1, 100)),
    background: r.read('THUMBNAIL_BACKGROUND', colour),
  };
}

/** A number from 0 to 1. */
const share = z
  .string()
  .trim()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'expected a number from 0 to 1')
  .transform(Number)
  .pipe(z.number().min(0).max(1));

type GeminiCredentials = Pick<AppConfig['annotator'], 'geminiApiKey' | 'geminiApiKeySecretArn'>;

/** The Gemini key or its secret; either selects the Gemini annotator (see `readAnnotator`). */
export function readGeminiCredentials(r: EnvReader): GeminiCredentials {
  return {
    geminiApiKey: r.read('GEMINI_API_KEY', nonEmpty, true),
    geminiApiKeySecretArn: r.read('GEMINI_API_KEY_SECRET_ARN', nonEmpty, true),
  };
}

export function readAnnotator(r: EnvReader, credentials: GeminiCredentials): AppConfig['annotator'] {
  return {
    kind: credentials.geminiApiKey || credentials.geminiApiKeySecretArn ? 'gemini' : 'local',
    ...credentials,
    model: r.read(
      'GEMINI_MODEL',
      z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a model name like gemini-3.5-flash'),
    ),
    baseUrl: r.read('GEMINI_BASE_URL', httpUrl, true),
    timeoutMs: r.read('GEMINI_TIMEOUT_MS', int(100, 600000)),
    maxAttempts: r.read('GEMINI_MAX_ATTEMPTS', int(1, 20)),
    retryBaseMs: r.read('GEMINI_RETRY_BASE_MS', int(0, 60000)),
    maxEdge: r.read('ANNOTATION_MAX_EDGE', int(64, MAX_ANNOTATION_EDGE)),
    local: r.read('LOCAL_ANNOTATOR', z.enum(['vision', 'facts'], { error: 'expected vision or facts' })),
    minLabelConfidence: r.read('VISION_LABEL_THRESHOLD', share),
    minTextConfidence: r.read('VISION_TEXT_THRESHOLD', share),
    sensitiveThreshold: r.read('VISION_SAFETY_THRESHOLD', share),
  };
}
