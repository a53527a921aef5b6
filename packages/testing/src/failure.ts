/**
 * Awaits an operation that must fail, and gives its error; throws if it succeeded. Tests assert
 * on the error (its type or code says it was a timeout, a refusal), not on how long it took.
 */
export async function failureOf(operation: Promise<unknown>): Promise<Error> {
  const outcome = await operation.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error: error as Error }),
  );
  if (outcome.ok) throw new Error('expected the operation to fail, but it succeeded');
  return outcome.error;
}
