/**
 * The uploads being received right now. A graceful shutdown first lets them finish; when its
 * time is up it aborts the rest, and each aborted upload removes its row and object itself.
 */
export class InFlightUploads {
  readonly #controllers = new Set<AbortController>();
  #closed = false;
  #idle: (() => void)[] = [];

  get size(): number {
    return this.#controllers.size;
  }

  /** True once shutdown has begun: new uploads are refused with 503. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Registers an upload; call the returned function when it has finished, whatever the outcome. */
  start(): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    this.#controllers.add(controller);
    return {
      signal: controller.signal,
      done: () => {
        this.#controllers.delete(controller);
        if (this.#controllers.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      },
    };
  }

  /** Resolves once no upload is in progress (each has stored its file, or cleaned up after itself). */
  whenIdle(): Promise<void> {
    if (this.#controllers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
  }

  abortAll(reason: string): number {
    const count = this.#controllers.size;
    for (const controller of this.#controllers) controller.abort(new Error(reason));
    return count;
  }
}
