import type { Readable } from 'node:stream';
import { tooLargeError } from './errors.ts';

/**
 * Collects a stream into one Buffer, stopping as soon as it passes `maxBytes`. sharp buffers a
 * stream input in full anyway, so reading it here first costs no extra copy of note and lets the
 * format be checked before any decoder runs.
 */
export async function readAll(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLargeError(undefined, maxBytes);
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
