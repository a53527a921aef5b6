/**
 * Awaits an operation that must fail: how long it took to, and its error. Throws if it succeeded.
 * For tests that bound how long a failure may take (a frozen dependency must not hang a caller).
 */
export async function timedFailure(operation: Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const started = performance.now();
  const outcome = await operation.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error: error as Error }),
  );
  if (outcome.ok) throw new Error('expected the operation to fail, but it succeeded');
  return { ms: performance.now() - started, error: outcome.error };
}
