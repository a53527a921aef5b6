import autocannon from 'autocannon';
import { OutcomeCollector, summarize } from './collector.ts';
import { assertTargetAllowed } from './guard.ts';
import type { LoadTestOptions, ProgressSnapshot, Report, StopReason } from './types.ts';

/** Options that cannot describe a run (a library caller's mistake; the CLI validates earlier). */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
}

/** autocannon itself failed to run (not a failed request: those are counted in the report). */
export class LoadTestError extends Error {
  override readonly name = 'LoadTestError';
}

export interface RunHooks {
  /** Called about every `progressIntervalMs` while the run goes on. */
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  readonly progressIntervalMs?: number;
  /** Aborting stops the run early; the report covers what finished (stoppedBy: 'aborted'). */
  readonly signal?: AbortSignal;
}

// How often autocannon checks whether it should stop; its default of 1 s would add up to a second of
// idle time to every run, which would skew the total time of short runs.
const SAMPLE_INTERVAL_MS = 100;

/**
 * Runs one load test with autocannon and reports on it. Refuses a non-loopback target unless
 * `allowRemote` is set (RemoteTargetError). A run ends at `requests` or `durationSeconds`,
 * whichever comes first.
 */
export async function runLoadTest(options: LoadTestOptions, hooks: RunHooks = {}): Promise<Report> {
  checkOptions(options);
  assertTargetAllowed(options.url, options.allowRemote);

  const collector = new OutcomeCollector();
  let stoppedBy: StopReason = options.requests === undefined ? 'duration' : 'requests';
  const startedAt = performance.now();

  return new Promise<Report>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let instance: autocannon.Instance | undefined;
    const stop = (reason: StopReason) => {
      stoppedBy = reason;
      instance?.stop();
    };
    const onAbort = () => stop('aborted');
    let finished = false;
    const finish = (error: unknown, result: autocannon.Result | undefined) => {
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      hooks.signal?.removeEventListener('abort', onAbort);
      if (error !== null && error !== undefined) {
        reject(new LoadTestError(`autocannon failed: ${String(error)}`, { cause: error }));
        return;
      }
      const endedAt = collector.lastOutcomeAt ?? performance.now();
      const failures = { errorsIncludingTimeouts: result?.errors ?? 0, timeouts: result?.timeouts ?? 0 };
      resolve(summarize(options, collector, failures, stoppedBy, endedAt - startedAt));
    };

    instance = autocannon(
      {
        url: options.url,
        method: options.method as autocannon.Request['method'],
        headers: { ...options.headers },
        connections: options.concurrency,
        timeout: options.timeoutSeconds,
        sampleInt: SAMPLE_INTERVAL_MS,
        // With `amount` set autocannon ignores `duration`, so a duration limit on top of a request
        // limit is enforced by the timer below instead.
        ...(options.requests === undefined
          ? { duration: options.durationSeconds }
          : { amount: options.requests }),
      },
      finish,
    );
    // autocannon reports a bad option by calling back synchronously: nothing to watch then.
    if (finished) return;

    instance.on('response', (_client, statusCode, bytes, responseTimeMs) => {
      collector.recordResponse(statusCode, bytes, responseTimeMs, performance.now());
    });
    instance.on('reqError', () => collector.recordFailure(performance.now()));

    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });

    if (options.requests !== undefined && options.durationSeconds !== undefined) {
      const requests = options.requests;
      const onDeadline = () => {
        // The last requests may have finished before autocannon's next stop check: not a deadline stop.
        if (collector.completed < requests) stop('duration');
      };
      timers.push(setTimeout(onDeadline, options.durationSeconds * 1000));
    }
    if (hooks.onProgress) timers.push(startProgress(options, collector, startedAt, hooks));
  });
}

function startProgress(
  options: LoadTestOptions,
  collector: OutcomeCollector,
  startedAt: number,
  hooks: RunHooks,
): NodeJS.Timeout {
  let previous = { at: startedAt, responses: 0 };
  return setInterval(() => {
    const now = performance.now();
    const seconds = (now - previous.at) / 1000;
    hooks.onProgress?.({
      elapsedMs: now - startedAt,
      completed: collector.completed,
      totalRequests: options.requests,
      durationMs: options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000,
      currentRate: seconds > 0 ? (collector.responses - previous.responses) / seconds : 0,
      errors: collector.failures,
    });
    previous = { at: now, responses: collector.responses };
  }, hooks.progressIntervalMs ?? 500);
}

function checkOptions(o: LoadTestOptions): void {
  const problems: string[] = [];
  if (o.requests === undefined && o.durationSeconds === undefined) {
    problems.push('give requests, durationSeconds or both');
  }
  if (o.requests !== undefined && !(Number.isSafeInteger(o.requests) && o.requests >= 1)) {
    problems.push('requests must be a whole number of at least 1');
  }
  if (o.durationSeconds !== undefined && !(o.durationSeconds > 0)) {
    problems.push('durationSeconds must be more than 0');
  }
  if (!(Number.isSafeInteger(o.concurrency) && o.concurrency >= 1)) {
    problems.push('concurrency must be a whole number of at least 1');
  } else if (o.requests !== undefined && o.concurrency > o.requests) {
    problems.push('concurrency must not exceed requests');
  }
  if (!(o.timeoutSeconds >= 1)) problems.push('timeoutSeconds must be at least 1 (autocannon minimum)');
  if (!(o.maxErrorRate >= 0 && o.maxErrorRate <= 1)) problems.push('maxErrorRate must be within 0..1');
  if (problems.length > 0) throw new InvalidOptionsError(`invalid load test options: ${problems.join('; ')}`);
}
