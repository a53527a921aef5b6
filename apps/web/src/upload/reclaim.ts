import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Upload body bytes between two collections. */
export const RECLAIM_EVERY_BYTES = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

/**
 * Frees the Buffers that uploads leave behind: a young-generation garbage collection (a
 * scavenge, ~1-10 ms) after every RECLAIM_EVERY_BYTES of upload bodies this process receives.
 *
 * Why: Node copies every read of a request body into a new Buffer (up to 64 KiB). Each is garbage
 * as soon as its bytes are copied into a part buffer (the S3 adapter's parts are recycled, so
 * they are not garbage), but V8 frees Buffer memory only when it collects, and Buffer memory
 * alone makes it collect only once 64 MiB more of it exists; an upload allocates too little
 * JavaScript to make it collect sooner. So a 50 MB upload grew the process by its own size in dead
 * Buffers (BENCHMARKS.md). These Buffers die young, so a scavenge frees them; a full collection
 * would too, but costs 30-75 ms here instead of a few.
 */
export class UploadReclaimer {
  readonly #everyBytes: number;
  readonly #collect: Collect | null;
  #received = 0;
  #scheduled = false;

  constructor(options: { everyBytes?: number; collect?: Collect | null } = {}) {
    this.#everyBytes = options.everyBytes ?? RECLAIM_EVERY_BYTES;
    this.#collect = options.collect === undefined ? exposedGc() : options.collect;
  }

  /** Counts body bytes received; collects (on the next turn of the event loop) every everyBytes. */
  received(bytes: number): void {
    if (!this.#collect) return;
    this.#received += bytes;
    if (this.#received < this.#everyBytes || this.#scheduled) return;
    this.#received = 0;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#collect?.({ type: 'minor' });
    });
  }
}

let gc: Collect | null | undefined;

/**
 * V8's gc(), without running the whole process with --expose-gc (which would put `gc` on the
 * global object for every module): V8 installs it in contexts created while the flag is set, so
 * a fresh vm context hands out the function, and the flag is cleared again. The function collects
 * the process's one heap, whichever context it came from. Null if V8 does not give it.
 */
export function exposedGc(): Collect | null {
  if (gc !== undefined) return gc;
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') {
    gc = global as Collect;
    return gc;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    const fromContext: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gc = typeof fromContext === 'function' ? (fromContext as Collect) : null;
  } catch {
    gc = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return gc;
}
