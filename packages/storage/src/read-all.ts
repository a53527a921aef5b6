import type { Readable } from 'node:stream';
import { ObjectTooLargeError } from './port.ts';

/**
 * Reads a stream into one buffer, stopping (and destroying the stream) as soon as it passes
 * maxBytes, so a lying or changing size can never make us buffer more than the limit.
 */
export async function readAll(
  body: Readable,
  key: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > maxBytes) throw new ObjectTooLargeError(key, size, maxBytes);
      chunks.push(buffer);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, size);
}
