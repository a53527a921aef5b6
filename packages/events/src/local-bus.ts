import { type EventPattern, matchesPattern } from './pattern.ts';

export type EventHandler = (event: unknown) => Promise<void>;

interface Subscription {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly handler: EventHandler;
}

export interface LocalBusOptions {
  /** Attempts per target before the event goes to the dead-letter list (EventBridge retries too). */
  readonly maxAttempts?: number;
  /** First retry delay in ms; doubled on each attempt. */
  readonly retryBaseMs?: number;
  /**
   * Most handler runs at once, over all targets (default: no limit). Deliveries beyond it wait in
   * a queue, first come first served; none is dropped. A retry's backoff does not hold a place.
   */
  readonly concurrency?: number;
  readonly onError?: (info: { target: string; attempt: number; error: unknown; final: boolean }) => void;
}

export interface DeadLetter {
  readonly target: string;
  readonly event: unknown;
  readonly error: unknown;
}

/**
 * The in-process stand-in for the EventBridge rule: publishes the same event shape and routes it
 * with the same pattern object. Each target runs on its own, with retries, like EventBridge targets;
 * at most `concurrency` handler runs at once, as a Lambda's reserved concurrency caps its runs.
 */
export class LocalEventBus {
  readonly #subscriptions: Subscription[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  readonly #onError: LocalBusOptions['onError'];
  readonly deadLetters: DeadLetter[] = [];
  /** Most handler runs at once (Infinity: no limit). */
  readonly concurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: LocalBusOptions = {}) {
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#retryBaseMs = options.retryBaseMs ?? 200;
    this.#onError = options.onError;
    this.concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(this.concurrency >= 1))
      throw new RangeError(`concurrency must be at least 1 (got ${this.concurrency})`);
  }

  /** Handler runs in progress now (at most `concurrency`). */
  get running(): number {
    return this.#running;
  }

  subscribe(name: string, pattern: EventPattern, handler: EventHandler): void {
    this.#subscriptions.push({ name, pattern, handler });
  }

  /** Delivers the event to every matching target in the background; returns their names. */
  publish(event: unknown): string[] {
    const targets = this.#subscriptions.filter((s) => matchesPattern(s.pattern, event));
    for (const target of targets) {
      const delivery = this.#deliver(target, event).finally(() => this.#inFlight.delete(delivery));
      this.#inFlight.add(delivery);
    }
    return targets.map((t) => t.name);
  }

  /** Resolves when every delivery in flight, retries included, has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Runs `fn` once a place is free (at most `concurrency` at once), then frees the place. */
  async #limited(fn: () => Promise<void>): Promise<void> {
    if (this.#running >= this.concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      await fn();
    } finally {
      // The place passes straight to the next in the queue, or is freed.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  async #deliver(target: Subscription, event: unknown): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#limited(() => target.handler(structuredClone(event)));
        return;
      } catch (error) {
        const final = attempt >= this.#maxAttempts;
        this.#onError?.({ target: target.name, attempt, error, final });
        if (final) {
          this.deadLetters.push({ target: target.name, event, error });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.#retryBaseMs * 2 ** (attempt - 1)));
      }
    }
  }
}
