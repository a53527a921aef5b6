import type { WorkerLogger } from '../../src/types.ts';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** The extra objects of the call, merged the way Powertools merges them into one JSON line. */
  readonly attributes: Record<string, unknown>;
}

/** A WorkerLogger that keeps what it is told, so tests can assert on the structured logs. */
export function recordingLogger(): WorkerLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, ...extra: object[]) =>
      void entries.push({ level, message, attributes: Object.assign({}, ...extra) });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
