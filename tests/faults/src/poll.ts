import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads `read()` every `everyMs` until `done` holds, for at most `withinMs` (and 1000 rounds);
 * resolves with the last value read, done or not.
 */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { withinMs, everyMs = 200 }: { withinMs: number; everyMs?: number },
): Promise<T> {
  const deadline = performance.now() + withinMs;
  let value = await read();
  for (let round = 0; round < 1000 && !done(value) && performance.now() < deadline; round++) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}
