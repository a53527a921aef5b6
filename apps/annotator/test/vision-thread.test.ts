import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BroadcastChannel } from 'node:worker_threads';
import { PermanentFailure } from '@annot/worker-runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createVisionAnnotator, TransientAnnotationError } from '../src/index.ts';
import { createThreadEngine, receivedError } from '../src/vision-engine.ts';
import { sendError } from '../src/vision-protocol.ts';
import { checkedFixture } from './support.ts';
import { INSTRUMENT_CHANNEL } from './threads/channels.ts';

/**
 * The vision models in their worker thread: the event loop stays free while they work, a thread
 * that dies is replaced, errors keep their classes, deadline and abort are honoured, and closing
 * ends the thread. The instrumented thread (threads/instrumented.ts) is the real one with a
 * listener in front, chosen by VISION_THREAD_TEST in the thread's environment (copied at its start).
 */
const DOG = 'Channel_digital_image_CMYK_color.jpg';
const instruments = new BroadcastChannel(INSTRUMENT_CHANNEL);
type Report = { running?: true; sab?: SharedArrayBuffer; leftoverListeners?: number };
const reports: ((report: Report) => void)[] = [];
instruments.onmessage = (event) => {
  for (const listener of reports) listener((event as unknown as { data: Report }).data);
};
const nextReport = () =>
  new Promise<Report>((resolve) => {
    const listener = (report: Report) => {
      reports.splice(reports.indexOf(listener), 1);
      resolve(report);
    };
    reports.push(listener);
  });

const open: { close(): Promise<void> }[] = [];
function instrumented(mode: 'hold' | 'crash') {
  const annotator = createVisionAnnotator({
    maxInputPixels: 60_000_000,
    minLabelConfidence: 0.35,
    minTextConfidence: 0.8,
    sensitiveThreshold: 0.7,
    threadOptions: { module: new URL('./threads/instrumented.ts', import.meta.url) },
  });
  open.push(annotator);
  /** Starts the models' thread now, in `mode` (its environment is copied when it starts). */
  const startIn = async (threadMode: 'hold' | 'crash' | 'plain') => {
    process.env.VISION_THREAD_TEST = threadMode === 'plain' ? '' : threadMode;
    try {
      return await annotator.ready();
    } finally {
      delete process.env.VISION_THREAD_TEST;
    }
  };
  return { annotator, start: () => startIn(mode) };
}

afterEach(() => {
  delete process.env.VISION_THREAD_TEST;
});
afterAll(async () => {
  instruments.close();
  await Promise.all(open.map((a) => a.close()));
});

describe('the vision models in a worker thread', () => {
  it('leave the event loop free: an HTTP request is answered while the models hold the thread', {
    timeout: 120_000,
  }, async () => {
    const server = http.createServer((_req, res) => res.end('pong'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const { annotator, start } = instrumented('hold');
      expect(await start()).toBe(true);
      const order: string[] = [];
      const running = nextReport();
      const annotated = annotator.describe(await checkedFixture(DOG)).then((found) => {
        order.push('annotation finished');
        return found;
      });
      // The thread is inside a run, blocked as a model's computation blocks it.
      const { sab } = await running;
      order.push('models running');
      const answer = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      order.push(`HTTP answered: ${answer}`);
      // Let the thread go on into the real models.
      const flag = new Int32Array(sab as SharedArrayBuffer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const found = await annotated;
      expect(order).toEqual(['models running', 'HTTP answered: pong', 'annotation finished']);
      expect(found.tags).toContainEqual({
        label: 'dog',
        confidence: expect.any(Number),
        source: 'centernet',
      });
    } finally {
      server.close();
    }
  });

  it('a thread that dies fails its image with a TransientAnnotationError, and the next image gets a new one; the models leave no exception handlers behind', {
    timeout: 180_000,
  }, async () => {
    const { annotator, start } = instrumented('crash');
    expect(await start()).toBe(true);
    const report = nextReport();
    const failed = await annotator.describe(await checkedFixture(DOG)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TransientAnnotationError);
    expect((failed as Error).message).toMatch(
      /^The vision models’ thread failed \(test: an uncaught exception in the vision thread\); a new one is started for the next image$/,
    );
    // The models were loaded (tfjs-backend-wasm and opencv-js included) when the exception came: none of their re-throwing handlers was left.
    expect((await report).leftoverListeners).toBe(0);
    // The next thread starts without the instrument.
    process.env.VISION_THREAD_TEST = '';
    const found = await annotator.describe(await checkedFixture(DOG));
    expect(found.tags).toContainEqual({ label: 'dog', confidence: expect.any(Number), source: 'centernet' });
    expect(annotator.model).toBe('local-vision-v1');
  });

  it('honours the deadline and abort: nothing runs after the deadline, and an aborted run ends its thread', {
    timeout: 180_000,
  }, async () => {
    const { annotator, start } = instrumented('hold');
    expect(await start()).toBe(true);
    const image = await checkedFixture(DOG);
    await expect(annotator.describe(image, { deadline: { remainingMs: () => 0 } })).rejects.toThrow(
      /^The vision models did not finish before the deadline/,
    );

    const controller = new AbortController();
    const running = nextReport();
    const aborted = annotator.describe(image, { signal: controller.signal }).catch((error: unknown) => error);
    await running; // held in the thread
    controller.abort();
    const error = await aborted;
    expect(error).toBeInstanceOf(TransientAnnotationError);
    expect((error as Error).message).toBe('The annotation was cancelled before the vision models finished');

    process.env.VISION_THREAD_TEST = '';
    const found = await annotator.describe(image);
    expect(found.tags).toContainEqual({ label: 'dog', confidence: expect.any(Number), source: 'centernet' });
  });

  it('a run given up while another waits on the same thread: each fails with its own reason, and the next image gets a new thread', {
    timeout: 180_000,
  }, async () => {
    // The engine itself, used by two runs at once (the annotator queues its runs, but the engine
    // does not rely on it).
    const engine = createThreadEngine({
      maxInputPixels: 60_000_000,
      module: new URL('./threads/instrumented.ts', import.meta.url),
    });
    open.push(engine);
    process.env.VISION_THREAD_TEST = 'hold';
    try {
      await engine.load();
    } finally {
      delete process.env.VISION_THREAD_TEST;
    }
    const image = await checkedFixture(DOG);
    const controller = new AbortController();
    const running = nextReport();
    const first = engine.run(image, { signal: controller.signal }).catch((error: unknown) => error);
    // Posted behind the first (both are sent before any report can arrive), queued on the held thread.
    const second = engine.run(image, {}).catch((error: unknown) => error);
    await running; // the first is held in the thread
    controller.abort();

    const firstError = await first;
    expect(firstError).toBeInstanceOf(TransientAnnotationError);
    expect((firstError as Error).message).toBe(
      'The annotation was cancelled before the vision models finished',
    );
    const secondError = await second;
    expect(secondError).toBeInstanceOf(TransientAnnotationError);
    expect(secondError).not.toBe(firstError);
    expect((secondError as Error).message).toBe(
      'The vision models’ thread was restarted because another image’s run was abandoned (cancelled or past its deadline); this image goes back to the platform for a later attempt',
    );

    // A new thread, without the instrument (the held one would never answer).
    process.env.VISION_THREAD_TEST = '';
    const found = await engine.run(image, {});
    expect(found.objects.map((o) => o.label.toLowerCase())).toContain('dog');
  });

  it('in-process (as in Lambda), the deadline is honoured too: a passed one stops before the models', {
    timeout: 120_000,
  }, async () => {
    const inProcess = createVisionAnnotator({
      maxInputPixels: 60_000_000,
      minLabelConfidence: 0.35,
      minTextConfidence: 0.8,
      sensitiveThreshold: 0.7,
      thread: false,
    });
    open.push(inProcess);
    expect(await inProcess.ready()).toBe(true);
    const image = await checkedFixture(DOG);
    await expect(inProcess.describe(image, { deadline: { remainingMs: () => 0 } })).rejects.toThrow(
      /^The vision models did not finish before the deadline/,
    );
    const controller = new AbortController();
    controller.abort();
    await expect(inProcess.describe(image, { signal: controller.signal })).rejects.toBeInstanceOf(
      TransientAnnotationError,
    );
    const found = await inProcess.describe(image);
    expect(found.tags).toContainEqual({ label: 'dog', confidence: expect.any(Number), source: 'centernet' });
  });

  it('shutdown ends the thread: the image in progress gets a TransientAnnotationError and the process ends by itself', {
    timeout: 180_000,
  }, async () => {
    const script = fileURLToPath(new URL('./threads/shutdown.ts', import.meta.url));
    // With --expose-gc, as `pnpm dev` starts the embedded system: a V8 option the thread must inherit.
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script], {
      timeout: 170_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      first: expect.arrayContaining(['dog']),
      second:
        'TransientAnnotationError: The vision annotator was closed before the models finished this image',
    });
  });
});

describe('errors across the thread boundary', () => {
  it('a PermanentFailure thrown in the thread (an image over the pixel limit) comes back as one', {
    timeout: 120_000,
  }, async () => {
    const small = createVisionAnnotator({
      maxInputPixels: 10_000,
      minLabelConfidence: 0.35,
      minTextConfidence: 0.8,
      sensitiveThreshold: 0.7,
    });
    open.push(small);
    const error = await small.describe(await checkedFixture(DOG)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as PermanentFailure).reason).toMatch(/500 x 333|megapixel|pixels/i);
  });

  it('keep their classes, reasons and details', () => {
    const permanent = receivedError(
      sendError(new PermanentFailure('The file is corrupt', { detail: 'bad huffman' })),
    );
    expect(permanent).toBeInstanceOf(PermanentFailure);
    expect(permanent).toMatchObject({ reason: 'The file is corrupt', detail: 'bad huffman' });
    const transient = receivedError(sendError(new TransientAnnotationError('try later', 2)));
    expect(transient).toBeInstanceOf(TransientAnnotationError);
    expect(transient).toMatchObject({ message: 'try later', attempts: 2 });
    const other = receivedError(sendError(new RangeError('out of range')));
    expect(other).toMatchObject({ name: 'RangeError', message: 'out of range' });
    expect(other.stack).toContain('vision-thread.test.ts');
  });
});
