/** The logging the workers need; Powertools' Logger and the web app's pino adapter satisfy it. */
export interface WorkerLogger {
  debug(message: string, ...extra: object[]): void;
  info(message: string, ...extra: object[]): void;
  warn(message: string, ...extra: object[]): void;
  error(message: string, ...extra: object[]): void;
}

export type WorkerOutcome = { status: 'completed' | 'failed' | 'skipped'; key: string; reason?: string };

/** What every log line about one event carries, so a single image can be followed across workers. */
export type LogContext = {
  key: string;
  requestId: string | undefined;
  eventId: string;
  /** Set on a retry ("Stage Requested") event; absent for an upload's Object Created event. */
  trigger?: 'retry';
};

/** What the caller knows about one delivery of an event. */
export interface EventContext {
  readonly requestId?: string;
  /**
   * The platform's own clock for this invocation: the ms left before it is stopped (Lambda's
   * context.getRemainingTimeInMillis). Absent locally, where the stage's configured deadline
   * (WORKER_DEADLINE_MS) counts from the start of `handle`.
   */
  readonly remainingMs?: () => number;
}

/** The transport-independent core both the Lambda handler and the local event bus call. */
export interface EventWorker {
  handle(event: unknown, context?: EventContext): Promise<WorkerOutcome>;
}

/**
 * How long the work on one event may still go on, in ms, with the time to record the result
 * (DEADLINE_RESERVE_MS) already taken off: work that would not end before it must stop and
 * hand the event back to the platform as a transient error.
 */
export interface Deadline {
  remainingMs(): number;
}
