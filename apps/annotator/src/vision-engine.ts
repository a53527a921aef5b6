import { Worker } from 'node:worker_threads';
import { type CheckedImage, type Deadline, PermanentFailure } from '@annot/worker-runtime';
import { TransientAnnotationError } from './errors.ts';
import {
  type Findings,
  loadVisionModels,
  runModels,
  type VisionModelPaths,
  type VisionModels,
} from './vision-models.ts';
import type { FromThread, SentError, ThreadData, ToThread } from './vision-protocol.ts';

/**
 * Where the vision models run for the vision annotator (`vision.ts`): in a worker thread of their
 * own (the default: the embedded system, where the web tier and the thumbnailer share the event
 * loop), or in-process (Lambda, one event at a time; see the annotator README).
 */
export interface VisionEngine {
  /** Loads the models (once); rejects when they cannot load. */
  load(): Promise<void>;
  /** Runs the models on one image; stops with a TransientAnnotationError when `options` say so. */
  run(image: CheckedImage, options: RunOptions): Promise<Findings>;
  /** Ends the thread, if any; a run still in progress gets a TransientAnnotationError. */
  close(): Promise<void>;
}

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly deadline?: Deadline | undefined;
}

export interface ThreadEngineOptions {
  readonly modelPaths?: VisionModelPaths | undefined;
  /** MAX_INPUT_PIXELS, for the image's check and decode in the thread. */
  readonly maxInputPixels: number;
  /** Node options for the thread after the process's own (tests preload a module with `--import`); none of V8's. */
  readonly execArgv?: readonly string[] | undefined;
  /** The thread's module: `vision-thread.ts` (tests wrap it to make it fail). */
  readonly module?: URL | undefined;
}

/**
 * The thread's module beside this one: vision-thread.ts from the sources, or, in the Lambda bundle,
 * chunks/vision-thread.mjs beside the chunk this code is in (build.mjs checks that it is).
 */
export const THREAD_MODULE = new URL(
  import.meta.url.endsWith('.ts') ? './vision-thread.ts' : './vision-thread.mjs',
  import.meta.url,
);

/** The models in this process: for Lambda, where nothing else waits on the event loop during a run. */
export function createInProcessEngine(
  modelPaths: VisionModelPaths | undefined,
  maxInputPixels: number,
): VisionEngine {
  let models: Promise<VisionModels> | undefined;
  const loaded = () => {
    models ??= loadVisionModels(modelPaths);
    return models;
  };
  return {
    async load() {
      await loaded();
    },
    async run(image, options) {
      return runModels(await loaded(), image, maxInputPixels, () => stopIfDue(options));
    },
    async close() {},
  };
}

interface Live {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(message: FromThread): void; reject(error: Error): void }>;
  /** Resolves once this thread loaded its models. */
  loaded: Promise<unknown>;
  ended: boolean;
}

/**
 * The models in a worker thread: started on first use, loading the models once; each image's
 * bytes are transferred to it (not copied again), and it checks and decodes the image, runs the
 * models and answers with what they found (or the error, a PermanentFailure for a bad image). A
 * thread that dies (an uncaught exception, a native crash) fails the image it was working on with
 * a TransientAnnotationError, so the platform retries it, and the next image starts a new thread.
 * The thread does not keep the process alive while it is idle.
 */
export function createThreadEngine(options: ThreadEngineOptions): VisionEngine {
  let current: Live | undefined;
  let closed = false;
  let nextId = 1;

  /** Posts `message` to the thread; `posted` learns its id (at once, before any answer). */
  const request = (
    live: Live,
    message: DistributiveOmit<ToThread, 'id'>,
    transfer: ArrayBuffer[] = [],
    posted?: (id: number) => void,
  ) =>
    new Promise<FromThread>((resolve, reject) => {
      if (live.ended) {
        reject(new TransientAnnotationError('The vision models’ thread had stopped', 0));
        return;
      }
      const id = nextId++;
      live.pending.set(id, { resolve, reject });
      posted?.(id);
      live.worker.ref();
      live.worker.postMessage({ ...message, id }, transfer);
    });

  /**
   * Retires a thread: its pending requests fail with `error` (or each with an error of its own,
   * made by it), and the next request starts another.
   */
  const end = (live: Live, error: Error | (() => Error)) => {
    if (live.ended) return;
    live.ended = true;
    if (current === live) current = undefined;
    for (const { reject } of live.pending.values()) reject(typeof error === 'function' ? error() : error);
    live.pending.clear();
  };

  const start = (): Live => {
    const data: ThreadData = { modelPaths: options.modelPaths ?? {}, maxInputPixels: options.maxInputPixels };
    const worker = new Worker(options.module ?? THREAD_MODULE, {
      name: 'vision-models',
      workerData: data,
      // Unset, the thread inherits the process's options as Node allows (`pnpm dev` runs with
      // --expose-gc, a V8 option Node refuses in an explicit list: the load would fail).
      ...(options.execArgv ? { execArgv: [...process.execArgv, ...options.execArgv] } : {}),
    });
    worker.unref();
    const live: Live = { worker, pending: new Map(), loaded: Promise.resolve(), ended: false };
    worker.on('message', (message: FromThread) => {
      const waiting = live.pending.get(message.id);
      if (!waiting) return;
      live.pending.delete(message.id);
      if (live.pending.size === 0) worker.unref();
      if (message.type === 'failed') waiting.reject(receivedError(message.error));
      else waiting.resolve(message);
    });
    worker.on('error', (error: unknown) =>
      end(
        live,
        new TransientAnnotationError(
          `The vision models’ thread failed (${error instanceof Error ? error.message : String(error)}); a new one is started for the next image`,
          0,
          { cause: error },
        ),
      ),
    );
    worker.on('exit', (code) =>
      end(
        live,
        new TransientAnnotationError(
          closed
            ? CLOSED
            : `The vision models’ thread stopped (exit code ${code}); a new one is started for the next image`,
          0,
        ),
      ),
    );
    live.loaded = request(live, { type: 'load' });
    live.loaded.catch(() => {});
    return live;
  };

  const thread = (): Live => {
    if (closed) throw new TransientAnnotationError(CLOSED, 0);
    current ??= start();
    return current;
  };

  return {
    async load() {
      const live = thread();
      try {
        await live.loaded;
      } catch (error) {
        end(live, error instanceof Error ? error : new Error(String(error)));
        await live.worker.terminate();
        throw error;
      }
    },
    run(image, runOptions) {
      stopIfDue(runOptions);
      const live = thread();
      /** The id of this run's request to the thread, once posted. */
      let sent: number | undefined;
      const work = (async () => {
        try {
          await live.loaded;
        } catch (error) {
          end(live, error instanceof Error ? error : new Error(String(error)));
          void live.worker.terminate();
          throw error instanceof TransientAnnotationError
            ? error
            : new TransientAnnotationError(
                `The vision models did not load in a new thread: ${error instanceof Error ? error.message : String(error)}`,
                0,
                { cause: error },
              );
        }
        // The bytes go to the thread in an ArrayBuffer of their own, transferred, not copied again
        // (the original's may be a slice of a larger buffer, which stays the caller's).
        const copy = new Uint8Array(image.bytes.byteLength);
        copy.set(image.bytes);
        const answer = await request(
          live,
          { type: 'run', bytes: copy.buffer, size: image.size, format: image.format },
          [copy.buffer],
          (id) => {
            sent = id;
          },
        );
        if (answer.type !== 'found') throw new Error(`The vision thread answered ${answer.type} to a run`);
        return answer.findings;
      })();
      // Given up (deadline, abort): the thread's work is no longer wanted, and a thread inside a run
      // (or a load that may never end) cannot be interrupted: it is ended, and the next image starts
      // a new one, rather than waiting behind an image nobody will record. This run fails with its
      // own reason; any other run on that thread (the engine may serve concurrent runs) fails with a
      // TransientAnnotationError of its own saying why, so the platform retries it. Answered
      // already, the thread is free: it is kept.
      return giveUpWhenDue(work, runOptions, (reason) => {
        if (sent !== undefined) {
          const mine = live.pending.get(sent);
          if (!mine) return;
          live.pending.delete(sent);
          mine.reject(reason);
        }
        end(live, () => new TransientAnnotationError(RESTARTED, 0));
        void live.worker.terminate();
      });
    },
    async close() {
      closed = true;
      const live = current;
      if (!live) return;
      end(
        live,
        new TransientAnnotationError(
          'The vision annotator was closed before the models finished this image',
          0,
        ),
      );
      await live.worker.terminate();
    },
  };
}

const CLOSED = 'The vision annotator was closed before the models finished this image';
const RESTARTED =
  'The vision models’ thread was restarted because another image’s run was abandoned (cancelled or past its deadline); this image goes back to the platform for a later attempt';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Throws the TransientAnnotationError of a cancelled run or a deadline already passed. */
function stopIfDue({ signal, deadline }: RunOptions): void {
  if (signal?.aborted) throw cancelled(signal);
  if (deadline && deadline.remainingMs() <= 0) throw pastDeadline();
}

function cancelled(signal: AbortSignal): TransientAnnotationError {
  return new TransientAnnotationError('The annotation was cancelled before the vision models finished', 0, {
    cause: signal.reason,
  });
}

function pastDeadline(): TransientAnnotationError {
  return new TransientAnnotationError(
    'The vision models did not finish before the deadline; the event goes back to the platform for a later attempt',
    0,
  );
}

/** Longest setTimeout delay (Node fires a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `work`, unless the signal aborts or the deadline passes first: then `giveUp` and a TransientAnnotationError. */
function giveUpWhenDue<T>(
  work: Promise<T>,
  { signal, deadline }: RunOptions,
  giveUp: (reason: Error) => void,
) {
  const remaining = deadline?.remainingMs() ?? Number.POSITIVE_INFINITY;
  if (!signal && !Number.isFinite(remaining)) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (reason: TransientAnnotationError) => {
      cleanup();
      giveUp(reason);
      reject(reason);
    };
    const onAbort = () => stop(cancelled(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(remaining))
      timer = setTimeout(() => stop(pastDeadline()), Math.min(remaining, MAX_TIMER_MS));
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** The same class on this side: PermanentFailure, TransientAnnotationError, or an Error of the same name. */
export function receivedError(sent: SentError): Error {
  let error: Error;
  if (sent.kind === 'permanent') {
    error = new PermanentFailure(sent.message, sent.detail === undefined ? {} : { detail: sent.detail });
  } else if (sent.kind === 'transient') {
    error = new TransientAnnotationError(sent.message, sent.attempts ?? 0);
  } else {
    error = new Error(sent.message);
    if (sent.name !== 'Error') Object.defineProperty(error, 'name', { value: sent.name, configurable: true });
  }
  // The stack of where it was thrown, in the thread.
  if (sent.stack) error.stack = sent.stack;
  return error;
}
