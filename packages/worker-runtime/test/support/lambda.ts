import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

/**
 * Captures what Powertools prints (DEBUG/INFO/WARN to stdout, ERROR to stderr, one JSON object a
 * line) instead of letting it reach the test output. Undo with `vi.restoreAllMocks()`.
 */
export function captureLogLines() {
  const output: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
  return {
    /** Every JSON line written so far, parsed. */
    lines(): Record<string, unknown>[] {
      return output
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/** The invocation context Lambda passes a handler, with what Powertools copies into each line. */
export function lambdaContext(
  awsRequestId: string,
  functionName = 'worker',
  remainingMs: () => number = () => 60_000,
): Context {
  return {
    awsRequestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    getRemainingTimeInMillis: remainingMs,
  } as Context;
}
