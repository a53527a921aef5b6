import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface WrittenFile {
  readonly size: number;
  /** Hex MD5 of the bytes written (what S3 reports as the ETag of a single-part upload). */
  readonly md5: string;
}

/** How temp files are named. Keys may not have segments starting with "." (see keys.ts), so no key can name one. */
export const TEMP_PREFIX = '.tmp-';

/** A temp file beside its target, so the final rename stays on one filesystem (and so is atomic). */
export async function tempFileBeside(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  return path.join(path.dirname(file), `${TEMP_PREFIX}${randomUUID()}`);
}

/**
 * Streams `body` into a new temp file, fsyncs it, and returns its size and MD5. On any error or
 * abort the temp file is removed. The caller renames it into place with `commit`.
 */
export async function writeTemp(
  file: string,
  body: Readable | Uint8Array,
  signal?: AbortSignal,
): Promise<{ temp: string; written: WrittenFile }> {
  signal?.throwIfAborted();
  const temp = await tempFileBeside(file);
  const hash = createHash('md5');
  let size = 0;
  const source =
    body instanceof Uint8Array
      ? Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)])
      : body;
  // flags 'wx': never write through an existing file; flush: fsync before close.
  const out = createWriteStream(temp, { flags: 'wx', flush: true });
  try {
    await pipeline(
      source,
      async function* measure(chunks: AsyncIterable<Buffer | string>) {
        for await (const chunk of chunks) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          hash.update(buffer);
          size += buffer.length;
          yield buffer;
        }
      },
      out,
      signal ? { signal } : {},
    );
  } catch (error) {
    // The stream opens its file asynchronously: when the body fails early, the open can complete
    // after the failure, creating the file after an immediate rm. Wait for it to close first.
    if (!out.closed) await once(out, 'close').catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  return { temp, written: { size, md5: hash.digest('hex') } };
}

/** Renames the temp file over the target and fsyncs the directory, so the rename itself is durable. */
export async function commit(temp: string, file: string): Promise<void> {
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file atomically (temp, fsync, rename). */
export async function writeFileAtomically(file: string, data: string): Promise<void> {
  const { temp } = await writeTemp(file, Buffer.from(data));
  await commit(temp, file);
}
