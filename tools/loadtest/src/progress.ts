import type { ProgressSnapshot } from './types.ts';

/** Where progress goes: stderr in the CLI, so stdout carries only the report (and stays valid JSON). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressPrinter {
  update(snapshot: ProgressSnapshot): void;
  /** Clears the live line on a terminal, so the report starts on a clean line. */
  finish(): void;
}

const CLEAR_LINE = '\r\x1b[2K';

/** One line describing where the run is, e.g. "[3.5s] 1200/4000 requests, 342 req/s, 0 errors". */
export function formatProgress(s: ProgressSnapshot): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const elapsed =
    s.durationMs === undefined ? seconds(s.elapsedMs) : `${seconds(s.elapsedMs)}/${seconds(s.durationMs)}`;
  const done = s.totalRequests === undefined ? `${s.completed}` : `${s.completed}/${s.totalRequests}`;
  const errors = `${s.errors} error${s.errors === 1 ? '' : 's'}`;
  return `[${elapsed}] ${done} requests, ${Math.round(s.currentRate)} req/s, ${errors}`;
}

/**
 * On a terminal, rewrites a single line at every snapshot. Elsewhere (CI logs, files) it appends a
 * line only every `logEveryMs` of run time, so a log is not flooded with two lines a second.
 */
export function createProgressPrinter(stream: ProgressStream, logEveryMs = 5000): ProgressPrinter {
  const tty = stream.isTTY === true;
  let nextLogAt = logEveryMs;
  let drawn = false;
  return {
    update(snapshot) {
      if (tty) {
        stream.write(`${CLEAR_LINE}${formatProgress(snapshot)}`);
        drawn = true;
      } else if (snapshot.elapsedMs >= nextLogAt) {
        stream.write(`${formatProgress(snapshot)}\n`);
        while (nextLogAt <= snapshot.elapsedMs) nextLogAt += logEveryMs;
      }
    },
    finish() {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
