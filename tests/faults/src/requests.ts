// Every request a scenario makes goes through a RequestLog: it is given the longest it may take
// (its budget: the timeout that applies to it, plus a margin), it is cut off by the client a grace
// period after that, so no scenario can hang, and its outcome and duration are kept, so a scenario
// can assert afterwards that none outlived its budget.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { distinctCopy, fixturePath } from '@annot/testing';
import { poll } from './poll.ts';

/** How long after its budget the client gives up on a request (it is then recorded as unanswered). */
export const GRACE_MS = 2000;

export interface Outcome {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  /** The response's status, or undefined when none came (connection error, or cut off). */
  readonly status: number | undefined;
  readonly retryAfter: string | null;
  readonly body: string;
  /** Why no response came. */
  readonly error: string | undefined;
  readonly ms: number;
  readonly budgetMs: number;
}

export interface RequestOptions {
  /** The longest the request may take. */
  readonly budgetMs: number;
  readonly body?: FormData;
  /** Names the request in failure messages (default: "METHOD path"). */
  readonly label?: string;
}

export class RequestLog {
  readonly #baseUrl: string;
  readonly outcomes: Outcome[] = [];

  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl;
  }

  /** One request, never longer than its budget plus GRACE_MS; resolves with its outcome, never rejects. */
  async send(method: string, path: string, options: RequestOptions): Promise<Outcome> {
    const started = performance.now();
    const label = options.label ?? `${method} ${path}`;
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: { accept: 'application/json' },
        ...(options.body ? { body: options.body } : {}),
        signal: AbortSignal.timeout(options.budgetMs + GRACE_MS),
      });
      const body = await response.text();
      return this.record({
        label,
        method,
        path,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body,
        error: undefined,
        ms: performance.now() - started,
        budgetMs: options.budgetMs,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${options.budgetMs + GRACE_MS} ms`
          : (cause?.code ?? (error as Error).message);
      return this.record({
        label,
        method,
        path,
        status: undefined,
        retryAfter: null,
        body: '',
        error: reason,
        ms: performance.now() - started,
        budgetMs: options.budgetMs,
      });
    }
  }

  get(path: string, budgetMs: number): Promise<Outcome> {
    return this.send('GET', path, { budgetMs });
  }

  /**
   * POST /upload of one small real image, distinct bytes and a fresh name each time, so each is its
   * own image (the same bytes again would be answered as a duplicate, without storage).
   */
  async upload(budgetMs: number, label?: string): Promise<Outcome> {
    const form = new FormData();
    const tag = `fault-${this.outcomes.length}-${Math.random().toString(36).slice(2, 8)}`;
    const bytes = distinctCopy(await smallImage(), tag);
    form.append('image', new Blob([bytes], { type: 'image/jpeg' }), `${tag}.jpg`);
    return this.send('POST', '/upload', { budgetMs, body: form, ...(label ? { label } : {}) });
  }

  /**
   * Asks `path` every `everyMs` until it answers `status`, for at most `withinMs`; each request is
   * logged with `budgetMs`. Resolves with the last outcome.
   */
  until(
    path: string,
    status: number,
    { withinMs, budgetMs, everyMs = 200 }: { withinMs: number; budgetMs: number; everyMs?: number },
  ): Promise<Outcome> {
    return poll(
      () => this.get(path, budgetMs),
      (outcome) => outcome.status === status,
      { withinMs, everyMs },
    );
  }

  /** Keeps an outcome measured elsewhere (a streamed upload). */
  record(outcome: Outcome): Outcome {
    this.outcomes.push(outcome);
    return outcome;
  }

  /** The requests that took longer than their budget, described. */
  outlived(): string[] {
    return this.outcomes
      .filter((o) => o.ms > o.budgetMs)
      .map((o) => `${o.label}: ${Math.round(o.ms)} ms, budget ${o.budgetMs} ms (${summarize(o)})`);
  }
}

export function summarize(outcome: Outcome): string {
  return outcome.status === undefined
    ? `no response: ${outcome.error}`
    : `${outcome.status} ${outcome.body.slice(0, 200)}`;
}

let image: Promise<Buffer<ArrayBuffer>> | undefined;

/** A real 600 x 450 JPEG of 136 KiB: one PutObject. */
function smallImage(): Promise<Buffer<ArrayBuffer>> {
  image ??= readFile(fixturePath('Landscape_1.jpg'));
  return image;
}

export interface StreamedUpload {
  /** Bytes handed to the socket so far. */
  readonly sent: () => number;
  /** Stops sending, keeping the connection open (a client that stalls). */
  readonly stall: () => void;
  /** Settles when the server answers or the connection ends: the status, or the error. */
  readonly done: Promise<{ status: number | undefined; body: string; error: string | undefined }>;
  /** Ends the client side (for cleanup). */
  readonly destroy: () => void;
}

/**
 * A POST /upload of a `size`-byte file that starts with a real JPEG (so it passes inspection) and
 * goes on with zeros, streamed over node:http: `fastBytes` at once, then `chunkBytes` every
 * `everyMs`, so a test can act while it is in flight.
 */
export async function streamUpload(
  baseUrl: string,
  options: { size: number; fastBytes: number; chunkBytes: number; everyMs: number },
): Promise<StreamedUpload> {
  const head = await readFile(fixturePath('2569067123_aca715a2ee_o.jpg'));
  const boundary = `----faults${Math.random().toString(16).slice(2)}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="large.jpg"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = httpRequest(`${baseUrl}/upload`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(preamble.byteLength + options.size + epilogue.byteLength),
    },
  });
  let sent = 0;
  let stalled = false;
  let ended = false;
  const write = async (bytes: Buffer) => {
    sent += bytes.byteLength;
    if (!req.write(bytes)) {
      await Promise.race([
        new Promise((resolve) => req.once('drain', resolve)),
        new Promise((resolve) => req.once('close', resolve)),
      ]);
    }
  };
  const done = new Promise<{ status: number | undefined; body: string; error: string | undefined }>(
    (resolve) => {
      req.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, body, error: undefined }));
        response.on('error', (error) => resolve({ status: response.statusCode, body, error: error.message }));
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: undefined, body: '', error: error.code ?? error.message }),
      );
      req.on('close', () => resolve({ status: undefined, body: '', error: 'closed without an answer' }));
    },
  ).finally(() => {
    ended = true;
  });
  // Sends in the background until the body is complete, the test stalls it, or the request ends.
  void (async () => {
    await write(preamble);
    await write(head);
    const zeros = Buffer.alloc(Math.max(options.chunkBytes, 64 * 1024));
    let left = options.size - head.byteLength;
    for (let n = 0; left > 0 && !ended && !stalled && n < 100_000; n++) {
      const bytes = zeros.subarray(0, Math.min(left, zeros.byteLength, options.chunkBytes));
      left -= bytes.byteLength;
      await write(bytes);
      if (sent >= options.fastBytes) await sleep(options.everyMs);
    }
    if (left === 0 && !ended && !stalled) req.end(epilogue);
  })().catch(() => {});
  return {
    sent: () => sent,
    stall: () => {
      stalled = true;
    },
    done,
    destroy: () => req.destroy(),
  };
}
