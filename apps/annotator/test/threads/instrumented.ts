/**
 * The vision models' thread (src/vision-thread.ts) with test instruments, chosen by the thread's
 * environment (a copy of process.env when the thread starts), reporting on a BroadcastChannel:
 * - VISION_THREAD_TEST=hold: on each run, reports `{ running, sab }` and blocks this thread, as a
 *   model's synchronous computation does, until the test sets the shared flag; then the real
 *   models run.
 * - VISION_THREAD_TEST=crash: on a run, reports how many uncaughtException / unhandledRejection
 *   listeners the loaded models left behind (opencv-js installs some that re-throw), then throws an
 *   uncaught exception, which ends the thread.
 */
import { BroadcastChannel, parentPort } from 'node:worker_threads';
import { INSTRUMENT_CHANNEL } from './channels.ts';

const channel = new BroadcastChannel(INSTRUMENT_CHANNEL);
channel.unref();
const mode = process.env.VISION_THREAD_TEST;

// Registered before the real thread's listener, so it runs first on each message.
parentPort?.on('message', (message: { type: string }) => {
  if (message.type !== 'run') return;
  if (mode === 'hold') {
    const sab = new SharedArrayBuffer(4);
    const flag = new Int32Array(sab);
    channel.postMessage({ running: true, sab });
    Atomics.wait(flag, 0, 0);
  } else if (mode === 'crash') {
    channel.postMessage({
      leftoverListeners:
        process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection'),
    });
    throw new Error('test: an uncaught exception in the vision thread');
  }
});

await import('../../src/vision-thread.ts');
