import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyBaseLogger } from 'fastify';
import { RETRY_AFTER_SECONDS } from '../unavailable.ts';

/** A key under uploads/ that is never written: storage answers when asked for it (null, or a 4xx). */
const STORAGE_PROBE_KEY = 'uploads/readiness-probe/none';

const state = { type: 'string', enum: ['up', 'down'] } as const;
const dependencies = { database: state, storage: state } as const;

const healthSchema = {
  response: {
    200: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] }, ...dependencies },
      required: ['status', 'database', 'storage'],
      additionalProperties: false,
    },
  },
} as const;

const readiness = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ready', 'unavailable'] }, ...dependencies },
  required: ['status', 'database', 'storage'],
  additionalProperties: false,
} as const;

const readySchema = { response: { 200: readiness, 503: readiness } } as const;

type State = 'up' | 'down';

/**
 * One dependency's check: at most one probe in flight (checks arriving meanwhile share it), each
 * check waiting for it at most `timeoutMs`. The probes are bounded themselves (DB_QUERY_TIMEOUT_MS,
 * S3_REQUEST_TIMEOUT_MS), so a slow one is not started again until it has ended.
 */
class DependencyCheck {
  readonly #name: string;
  readonly #probe: () => Promise<void>;
  readonly #timeoutMs: number;
  readonly #log: FastifyBaseLogger;
  #running: Promise<State> | undefined;

  constructor(name: string, probe: () => Promise<void>, timeoutMs: number, log: FastifyBaseLogger) {
    this.#name = name;
    this.#probe = probe;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  async state(): Promise<State> {
    this.#running ??= this.#probe()
      .then(
        (): State => 'up',
        (error: unknown): State => {
          this.#log.warn(
            { err: error, dependency: this.#name },
            'health check: a dependency does not answer',
          );
          return 'down';
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<State>((resolve) => {
      timer = setTimeout(() => resolve('down'), this.#timeoutMs);
    });
    try {
      return await Promise.race([this.#running, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Storage answers when a key's metadata can be asked for: none (null), or an S3 4xx (the web
 * role may not list the bucket, so S3 says 403 for a missing key), is an answer; a timeout, a
 * refused connection or a 5xx is not.
 */
async function probeStorage(storage: Storage): Promise<void> {
  try {
    await storage.originals.head(STORAGE_PROBE_KEY);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return;
    throw error;
  }
}

export interface HealthOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  /** HEALTH_CHECK_TIMEOUT_MS: how long each check waits for a dependency. */
  readonly timeoutMs: number;
}

/**
 * GET /health, the ALB's check: 200 while this process can serve, whatever its dependencies do
 * (a database reboot must not make the ALB and the Auto Scaling group replace every instance),
 * with their state in the body. GET /ready: 200 when the database and storage both answer, 503
 * (with Retry-After) when either does not. Both wait at most HEALTH_CHECK_TIMEOUT_MS.
 */
export const healthRoutes: FastifyPluginAsyncJsonSchemaToTs<{ Options: HealthOptions }> = async (
  app,
  options,
) => {
  const database = new DependencyCheck(
    'database',
    () => options.repository.ping(),
    options.timeoutMs,
    app.log,
  );
  const storage = new DependencyCheck(
    'storage',
    () => probeStorage(options.storage),
    options.timeoutMs,
    app.log,
  );
  const states = async () => {
    const [db, blobs] = await Promise.all([database.state(), storage.state()]);
    return { database: db, storage: blobs };
  };

  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' as const, ...(await states()) }));

  app.get('/ready', { schema: readySchema }, async (_request, reply) => {
    const now = await states();
    if (now.database === 'up' && now.storage === 'up') return { status: 'ready' as const, ...now };
    return reply
      .code(503)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send({ status: 'unavailable', ...now });
  });
};
