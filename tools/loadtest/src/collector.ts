import { createHistogram } from 'node:perf_hooks';
import type { LatencySummary, LoadTestOptions, Report, StopReason } from './types.ts';

/**
 * Counts what happened to each request, from autocannon's per-request events.
 *
 * autocannon's own result only has status classes (2xx, 5xx...) in its main fields and no p95, so
 * exact codes and latency are recorded here. Latency goes into an HDR histogram (node:perf_hooks,
 * 3 significant digits) in microseconds, so a long --duration run uses constant memory.
 */
export class OutcomeCollector {
  readonly #latencyUs = createHistogram();
  readonly #statusCodes = new Map<number, number>();
  responses = 0;
  /** Connection errors and timeouts, as reported live by autocannon's reqError event. */
  failures = 0;
  bytes = 0;
  /** performance.now() of the most recent finished request, if any. */
  lastOutcomeAt: number | undefined;

  get completed(): number {
    return this.responses + this.failures;
  }

  recordResponse(statusCode: number, bytes: number, responseTimeMs: number, now: number): void {
    this.responses += 1;
    this.bytes += bytes;
    this.#statusCodes.set(statusCode, (this.#statusCodes.get(statusCode) ?? 0) + 1);
    this.#latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
    this.lastOutcomeAt = now;
  }

  recordFailure(now: number): void {
    this.failures += 1;
    this.lastOutcomeAt = now;
  }

  latency(): LatencySummary {
    const h = this.#latencyUs;
    if (h.count === 0) return { mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    // Microseconds to milliseconds, kept to whole microseconds so JSON output stays readable.
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      mean: ms(h.mean),
      p50: ms(h.percentile(50)),
      p95: ms(h.percentile(95)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
    };
  }

  statusCodes(): Record<string, number> {
    const sorted = [...this.#statusCodes].sort(([a], [b]) => a - b);
    return Object.fromEntries(sorted.map(([code, count]) => [String(code), count]));
  }
}

/** What autocannon's final result adds: it tells timeouts apart from other connection errors. */
export interface FailureCounts {
  /** Connection errors including timeouts (autocannon's `errors`). */
  readonly errorsIncludingTimeouts: number;
  readonly timeouts: number;
}

/** Builds the report once the run is over. */
export function summarize(
  options: LoadTestOptions,
  collector: OutcomeCollector,
  failures: FailureCounts,
  stoppedBy: StopReason,
  totalTimeMs: number,
): Report {
  const statusCodes = collector.statusCodes();
  let non2xx = 0;
  let serverErrors = 0;
  for (const [code, count] of Object.entries(statusCodes)) {
    const status = Number(code);
    if (status < 200 || status > 299) non2xx += count;
    if (status >= 500) serverErrors += count;
  }
  const timeouts = failures.timeouts;
  const errors = failures.errorsIncludingTimeouts - timeouts;
  const requests = collector.responses + errors + timeouts;
  // A run in which nothing finished proves nothing about the target; count it as all failed.
  const errorRate = requests === 0 ? 1 : (errors + timeouts + serverErrors) / requests;
  return {
    url: options.url,
    method: options.method,
    concurrency: options.concurrency,
    stoppedBy,
    totalTimeMs: Math.round(totalTimeMs * 1000) / 1000,
    requests,
    responses: collector.responses,
    requestsPerSecond: totalTimeMs > 0 ? Math.round((collector.responses / totalTimeMs) * 100_000) / 100 : 0,
    latencyMs: collector.latency(),
    statusCodes,
    errors,
    timeouts,
    non2xx,
    serverErrors,
    bytes: collector.bytes,
    errorRate,
    maxErrorRate: options.maxErrorRate,
    passed: errorRate <= options.maxErrorRate,
  };
}
