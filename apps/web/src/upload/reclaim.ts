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
 *
 * The collection is V8's `gc`, which Node puts on the global object only when it is started with
 * its documented `--expose-gc` flag: the production start command (the image's CMD, `pnpm start`),
 * `pnpm dev` and the benches pass it. No V8 flag is changed at run time. Without the flag the
 * reclaimer does nothing, and says so once, when it is made (at start).
 */
export class UploadReclaimer {
  readonly #everyBytes: number;
  readonly #collect: Collect | null;
  #received = 0;
  #scheduled = false;

  constructor(
    options: {
      everyBytes?: number;
      collect?: Collect | null;
      /** Told once, here, when there is nothing to collect with. */
      log?: { warn(message: string): void };
    } = {},
  ) {
    this.#everyBytes = options.everyBytes ?? RECLAIM_EVERY_BYTES;
    this.#collect = options.collect === undefined ? exposedGc() : options.collect;
    if (!this.#collect) {
      options.log?.warn(
        'node runs without --expose-gc: upload bodies are freed only when V8 collects on its own, ' +
          'so a large upload can grow the process by its own size meanwhile',
      );
    }
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

/** V8's gc() when node was started with --expose-gc, else null. */
export function exposedGc(): Collect | null {
  return typeof globalThis.gc === 'function' ? globalThis.gc : null;
}
