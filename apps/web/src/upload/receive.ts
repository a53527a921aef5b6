import type { ImageRecord } from '@annot/db';
import { displayFilename } from '@annot/object-keys';
import type { Multipart } from '@fastify/multipart';
import { isUnavailable, UNAVAILABLE_MESSAGE } from '../unavailable.ts';
import { type AcceptDeps, acceptFile } from './accept-file.ts';
import { UploadStalledError } from './idle-body.ts';
import { UploadRefusedError } from './refusal.ts';

/** The form field files are read from; files in any other field are read off and ignored. */
export const FILE_FIELD = 'image';

export type FileOutcome =
  | {
      readonly accepted: true;
      /** The name the file was sent with (a duplicate's record has its own, first name). */
      readonly filename: string;
      readonly record: ImageRecord;
      /** The bytes were already in the library: `record` is that image, and nothing was stored. */
      readonly duplicate: boolean;
    }
  | {
      readonly accepted: false;
      readonly filename: string;
      readonly status: number;
      readonly error: string;
      readonly message: string;
    };

export interface ReceiveOptions {
  readonly deps: AcceptDeps;
  /** Aborted by a graceful shutdown's deadline, or with an UploadStalledError by the idle watch. */
  readonly signal: AbortSignal;
  readonly maxFiles: number;
  readonly requestId: string;
  /** True once the client's side of the request is gone (it hung up, or reset the connection). */
  readonly clientGone?: () => boolean;
}

/**
 * Reads the multipart body one part at a time and judges each file on its own. Parts arrive in
 * order on one stream, so each file is finished (stored, or refused and read off) before the next
 * one is parsed; nothing is buffered beyond one file's header.
 */
export async function receiveFiles(
  parts: AsyncIterable<Multipart>,
  options: ReceiveOptions,
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  try {
    for await (const part of untilAborted(parts, options.signal)) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== FILE_FIELD) {
        await consume(part.file);
        continue;
      }
      const outcome = await receiveOne(part, options);
      // A file input left empty posts a part with no name and no bytes: that is no file at all.
      if (!(part.filename === '' && !outcome.accepted && outcome.error === 'empty_file')) {
        outcomes.push(outcome);
      }
      // Shutting down, stalled, or a dependency not answering (each further file would wait for it
      // again): answer now with what was decided, without reading the rest of the body.
      if (options.signal.aborted || (!outcome.accepted && outcome.error === 'unavailable')) break;
    }
  } catch (error) {
    if (options.signal.aborted) {
      outcomes.push(aborted(REST, options.signal));
      return outcomes;
    }
    // A body cut off inside a file has already been reported for that file.
    const last = outcomes.at(-1);
    const reported = isCutOff(error) && last?.accepted === false && last.error === 'incomplete_upload';
    if (!reported) {
      options.deps.log.info({ err: error }, 'upload body refused by the multipart parser');
      outcomes.push(parserRefusal(error, options.maxFiles));
    }
  }
  return outcomes;
}

async function receiveOne(part: Multipart & { type: 'file' }, options: ReceiveOptions): Promise<FileOutcome> {
  const filename = displayFilename(part.filename);
  if (options.signal.aborted) {
    return aborted(filename, options.signal);
  }
  try {
    const { record, duplicate } = await acceptFile(part, options.deps, options.signal);
    return { accepted: true, filename, record, duplicate };
  } catch (error) {
    if (error instanceof UploadRefusedError) {
      return refused(filename, error.statusCode, error.code, `${quote(filename)} ${error.message}`);
    }
    if (options.signal.aborted) {
      return aborted(filename, options.signal);
    }
    // First: a client that hangs up makes the body fail with ECONNRESET too, which must not be
    // taken for a dependency that is down (and logged and counted as an outage).
    if (options.clientGone?.() || (isCutOff(error) && !isUnavailable(error))) {
      options.deps.log.info({ filename }, 'upload cut off by the client');
      return refused(
        filename,
        400,
        'incomplete_upload',
        `${quote(filename)} was cut off before it was complete`,
      );
    }
    if (isUnavailable(error)) {
      options.deps.log.warn({ err: error, filename }, 'upload failed: a dependency is not answering');
      return refused(
        filename,
        503,
        'unavailable',
        `${quote(filename)} was not stored: ${UNAVAILABLE_MESSAGE}`,
      );
    }
    options.deps.log.error({ err: error, filename }, 'upload failed');
    return refused(
      filename,
      500,
      'internal_error',
      `${quote(filename)} could not be stored (request ${options.requestId})`,
    );
  }
}

/** The client went away or sent a truncated body: its fault, not a server failure. */
function isCutOff(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 'FST_MP_PREMATURE_CLOSE' ||
    code === 'ECONNRESET' ||
    (typeof message === 'string' && /terminated early|Unexpected end of (form|multipart)/i.test(message))
  );
}

/** Filenames are shown in quotes; JSON.stringify also makes any odd character visible. */
function quote(filename: string): string {
  return JSON.stringify(filename);
}

function refused(filename: string, status: number, error: string, message: string): FileOutcome {
  return { accepted: false, filename, status, error, message };
}

/** The upload was aborted: the client stopped sending (408), or the server is shutting down (503). */
function aborted(filename: string, signal: AbortSignal): FileOutcome {
  const what = filename === REST ? 'The upload' : quote(filename);
  return signal.reason instanceof UploadStalledError
    ? refused(filename, 408, 'upload_stalled', `${what} was not stored: ${signal.reason.message}`)
    : refused(filename, 503, 'unavailable', `${what} was not stored: the server is shutting down`);
}

/**
 * The parts of `source` until `signal` aborts, which then ends the iteration at once (with the
 * abort's reason) even while waiting for a client that sends nothing more.
 */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  abort.catch(() => {});
  try {
    for (;;) {
      signal.throwIfAborted();
      const next = await Promise.race([iterator.next(), abort]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort!);
    // Queued behind a next() still waiting, if any; the parser ends with the request.
    iterator.return?.().catch(() => {});
  }
}

const REST = '(rest of the upload)';

/** Errors the multipart parser raises for the request as a whole. */
function parserRefusal(error: unknown, maxFiles: number): FileOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_FILES_LIMIT') {
    return refused(
      REST,
      413,
      'too_many_files',
      `At most ${maxFiles} files can be sent at once: the rest were not read`,
    );
  }
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return refused(REST, 413, 'too_many_parts', 'The form has too many fields: the rest was not read');
  }
  if (isCutOff(error))
    return refused(REST, 400, 'incomplete_upload', 'The upload was cut off before it was complete');
  // The parser's own words (busboy's) go to the log line above, not to the client.
  return refused(
    REST,
    400,
    'invalid_multipart',
    'The upload could not be read: the request is not well-formed multipart/form-data (send the files in a form field named "image")',
  );
}

async function consume(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}
