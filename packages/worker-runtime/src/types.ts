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

/** The transport-independent core both the Lambda handler and the local event bus call. */
export interface EventWorker {
  handle(event: unknown, context?: { requestId?: string }): Promise<WorkerOutcome>;
}
