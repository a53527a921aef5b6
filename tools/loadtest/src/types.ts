/** What to load and how hard: the validated form of the command line, also used by `bench/`. */
export interface LoadTestOptions {
  /** Target, http or https. */
  readonly url: string;
  /** Stop after this many requests. Undefined: run for `durationSeconds` only. */
  readonly requests: number | undefined;
  /** Stop after this many seconds. With `requests` as well, whichever limit is reached first wins. */
  readonly durationSeconds: number | undefined;
  /** Connections kept busy at once (each has one request in flight). */
  readonly concurrency: number;
  /** A request with no response after this many seconds counts as a timeout (autocannon's minimum is 1). */
  readonly timeoutSeconds: number;
  /** The run fails when errorRate is above this fraction (0..1). */
  readonly maxErrorRate: number;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Permit a target that is not loopback. Off by default: a guard against typos. */
  readonly allowRemote: boolean;
}

/** Defaults shared by the command line and library callers. */
export const DEFAULTS = {
  requests: 4000,
  concurrency: 20,
  timeoutSeconds: 10,
  maxErrorRate: 0.01,
  method: 'GET',
} as const;

/** A progress sample, taken about every 500 ms while a run is going. */
export interface ProgressSnapshot {
  readonly elapsedMs: number;
  /** Requests finished so far: responses of any status, connection errors and timeouts. */
  readonly completed: number;
  /** The requests limit, if there is one. */
  readonly totalRequests: number | undefined;
  /** The duration limit in ms, if there is one. */
  readonly durationMs: number | undefined;
  /** Responses per second since the previous snapshot. */
  readonly currentRate: number;
  /** Connection errors plus timeouts so far. */
  readonly errors: number;
}

export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Why the run ended. */
export type StopReason = 'requests' | 'duration' | 'aborted';

/** The result of one run. All times are in milliseconds unless the name says otherwise. */
export interface Report {
  readonly url: string;
  readonly method: string;
  readonly concurrency: number;
  readonly stoppedBy: StopReason;
  /** From the first request to the last finished one. */
  readonly totalTimeMs: number;
  /** Finished requests: responses + connection errors + timeouts. The error-rate denominator. */
  readonly requests: number;
  /** Requests that got an HTTP response, whatever its status. */
  readonly responses: number;
  /** Responses per second over totalTimeMs. */
  readonly requestsPerSecond: number;
  /** Latency of the requests that got a response (timeouts have none). */
  readonly latencyMs: LatencySummary;
  /** Exact status code -> number of responses, e.g. { "200": 90, "500": 10 }. */
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Connection errors (refused, reset, ...), not counting timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses whose status is not 2xx (3xx, 4xx and 5xx alike). */
  readonly non2xx: number;
  /** Responses with a 5xx status. */
  readonly serverErrors: number;
  /** Response bytes received, headers included. */
  readonly bytes: number;
  /** (errors + timeouts + 5xx) / requests; 1 when no request finished at all. */
  readonly errorRate: number;
  readonly maxErrorRate: number;
  /** errorRate <= maxErrorRate. */
  readonly passed: boolean;
}
