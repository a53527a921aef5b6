import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** A stream of `size` random bytes, generated as it is read; `sha256()` is the hash of what it produced. */
export function generatedStream(size: number): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(CHUNK, left));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

/** A stream that produces `before` bytes and then fails with `error`, like a client that disconnects. */
export function failingStream(before: number, error = new Error('client went away')): Readable {
  let left = before;
  return new Readable({
    read() {
      if (left === 0) return void this.destroy(error);
      const chunk = randomBytes(Math.min(CHUNK, left));
      left -= chunk.length;
      this.push(chunk);
    },
  });
}

/** A stream that never ends; `onBytes` is told how much it has produced so far. */
export function endlessStream(onBytes: (total: number) => void): Readable {
  let total = 0;
  return new Readable({
    read() {
      const chunk = randomBytes(CHUNK);
      total += chunk.length;
      // Produce asynchronously so an abort can land between chunks.
      setImmediate(() => {
        this.push(chunk);
        onBytes(total);
      });
    },
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function sha256OfStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
