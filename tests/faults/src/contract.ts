// What the issue "Failures end cleanly" promises, as this suite reads it. Every name and shape the
// suite assumes about the features under test is here, so a merge that names them differently
// changes this file only:
//
// - timeouts: DB_QUERY_TIMEOUT_MS (default 5000), S3_REQUEST_TIMEOUT_MS (10000),
//   UPLOAD_IDLE_TIMEOUT_MS (30000); a request that needs a dependency that is down gets 503 with
//   Retry-After; GET /health is 200 whenever the process can serve, and reports the database's
//   and the storage's state in its JSON body; GET /ready is 503 while either does not answer.
// - the reconciliation sweep every web process runs each SWEEP_INTERVAL_MS: a row whose original
//   never arrived is gone within STALE_UPLOAD_MS of its creation, a row whose object is there but
//   never got its event is notified again, and unfinished multipart uploads are aborted.

/** The settings the web tier is started with: short, so that each fault shows within seconds. */
export const SETTINGS = {
  DB_QUERY_TIMEOUT_MS: 1000,
  S3_REQUEST_TIMEOUT_MS: 2000,
  UPLOAD_IDLE_TIMEOUT_MS: 2000,
  STALE_UPLOAD_MS: 3000,
  SWEEP_INTERVAL_MS: 1000,
} as const;

/** How much later than its timeout a request may end (scheduling, a loaded 2-core machine). */
export const MARGIN_MS = 1000;

/** The environment of the web tier for these settings. */
export function settingsEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(SETTINGS).map(([name, value]) => [name, String(value)]));
}

/**
 * The acceptance: with STALE_UPLOAD_MS=3000, a web process killed mid-upload leaves no
 * pending row without an object 10 s after it was killed.
 */
export const CRASH_SETTLED_MS = 10_000;

/** The longest a fault's leftovers may take to be reconciled: one stale age plus two sweeps. */
export const SWEPT_WITHIN_MS = SETTINGS.STALE_UPLOAD_MS + 2 * SETTINGS.SWEEP_INTERVAL_MS + MARGIN_MS;

export type Dependency = 'database' | 'storage';

/** The timeout of one call to a dependency. */
export function timeoutOf(dependency: Dependency): number {
  return dependency === 'database' ? SETTINGS.DB_QUERY_TIMEOUT_MS : SETTINGS.S3_REQUEST_TIMEOUT_MS;
}

/**
 * The longest POST /upload may take when `dependency` does not answer: a call that times out, then
 * the cleanup of what was started, which may time out once more on the same dependency.
 */
export function uploadBudget(dependency: Dependency): number {
  return 2 * timeoutOf(dependency) + MARGIN_MS;
}

/** The longest GET /health and GET /ready may take: each asks both dependencies, side by side. */
export const PROBE_BUDGET_MS =
  Math.max(SETTINGS.DB_QUERY_TIMEOUT_MS, SETTINGS.S3_REQUEST_TIMEOUT_MS) + MARGIN_MS;

const UP = new Set(['ok', 'up', 'available', 'ready', 'healthy', 'connected']);
const DOWN = new Set(['down', 'unavailable', 'error', 'failed', 'unhealthy', 'timeout', 'degraded']);

/** Reads an up/down state however the body spells it: a boolean, a word, or {status | ok}. */
function stateOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const word = value.toLowerCase();
    return UP.has(word) ? true : DOWN.has(word) ? false : undefined;
  }
  if (value && typeof value === 'object') {
    const { status, ok, state } = value as Record<string, unknown>;
    return stateOf(ok) ?? stateOf(status) ?? stateOf(state);
  }
  return undefined;
}

export interface DependencyStates {
  /** True: reported up; false: reported down; undefined: not reported. */
  readonly database: boolean | undefined;
  readonly storage: boolean | undefined;
}

/**
 * The database's and the storage's states in a /health or /ready body: a field named database (or
 * db, mysql), and one named storage (or s3), at the top level or under `checks` or `dependencies`.
 */
export function dependencyStates(body: string): DependencyStates {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { database: undefined, storage: undefined };
  }
  const top = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const scopes = [top, top.checks, top.dependencies].filter(
    (scope): scope is Record<string, unknown> => !!scope && typeof scope === 'object',
  );
  const find = (names: readonly string[]) => {
    for (const scope of scopes) {
      for (const name of names) {
        const state = stateOf(scope[name]);
        if (state !== undefined) return state;
      }
    }
    return undefined;
  };
  return { database: find(['database', 'db', 'mysql']), storage: find(['storage', 's3']) };
}

/** True when a Retry-After header value is valid: delay-seconds, or an HTTP date. */
export function validRetryAfter(value: string | null): boolean {
  if (value === null) return false;
  if (/^\d+$/.test(value.trim())) return true;
  return !Number.isNaN(Date.parse(value));
}
