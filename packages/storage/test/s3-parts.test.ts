import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Part, PartBufferPool, PartReader } from '../src/s3/parts.ts';

const PART = 1000;

/** A stream of `size` bytes (byte i is i % 251) in chunks of `chunk` bytes. */
function bytes(size: number, chunk: number): Readable {
  const all = Buffer.alloc(size);
  for (let i = 0; i < size; i++) all[i] = i % 251;
  const chunks: Buffer[] = [];
  for (let start = 0; start < size; start += chunk) chunks.push(all.subarray(start, start + chunk));
  return Readable.from(chunks);
}

async function readAll(reader: PartReader, release = true): Promise<Part[]> {
  const parts: Part[] = [];
  for (let part = await reader.next(); part; part = await reader.next()) {
    // What an upload would send: a copy, since the buffer is reused once released.
    parts.push({ ...part, data: Buffer.from(part.data) });
    if (release) reader.release(part);
  }
  return parts;
}

describe('PartReader', () => {
  it('cuts a stream into exact parts, the last one shorter, with every byte in order', async () => {
    const reader = new PartReader(bytes(3500, 300), PART, new PartBufferPool(2));
    const parts = await readAll(reader);

    expect(parts.map((p) => [p.number, p.data.byteLength, p.last])).toEqual([
      [1, 1000, false],
      [2, 1000, false],
      [3, 1000, false],
      [4, 500, true],
    ]);
    const joined = Buffer.concat(parts.map((p) => p.data));
    expect(joined.every((byte, i) => byte === i % 251)).toBe(true);
    expect(reader.bytes).toBe(3500);
  });

  it('knows a body of exactly one part is its last (one PutObject)', async () => {
    const parts = await readAll(new PartReader(bytes(PART, 250), PART, new PartBufferPool(2)));
    expect(parts.map((p) => [p.number, p.data.byteLength, p.last])).toEqual([[1, 1000, true]]);
  });

  it('splits a body one byte over a part into two', async () => {
    const parts = await readAll(new PartReader(bytes(PART + 1, 1001), PART, new PartBufferPool(2)));
    expect(parts.map((p) => [p.data.byteLength, p.last])).toEqual([
      [1000, false],
      [1, true],
    ]);
  });

  it('gives an empty body as one empty last part', async () => {
    const parts = await readAll(new PartReader(Readable.from([]), PART, new PartBufferPool(2)));
    expect(parts.map((p) => [p.number, p.data.byteLength, p.last])).toEqual([[1, 0, true]]);
  });

  it('reuses released part buffers, within a put and from one put to the next', async () => {
    const pool = new PartBufferPool(2);
    const memory = new Set<ArrayBufferLike>();
    for (const body of [bytes(10 * PART, 64), bytes(7 * PART, 300)]) {
      const reader = new PartReader(body, PART, pool);
      let previous: Part | null = null;
      // As a put with one part in flight does: release a part once the next one has been read.
      for (let part = await reader.next(); part; part = await reader.next()) {
        memory.add(part.data.buffer);
        if (previous) reader.release(previous);
        previous = part;
      }
      reader.release(previous!);
    }
    expect(memory.size).toBe(2);
    expect(pool.free).toBe(2);
  });

  it('keeps at most maxFree buffers for reuse, and never the same one twice', () => {
    const pool = new PartBufferPool(2);
    const [a, b, c] = [pool.take(PART), pool.take(PART), pool.take(PART)];
    pool.give(a);
    pool.give(a);
    expect(pool.free).toBe(1);
    pool.give(b);
    pool.give(c);
    expect(pool.free).toBe(2);
    const again = [pool.take(PART), pool.take(PART)];
    expect(again.includes(a) && again.includes(b) && !again.includes(c)).toBe(true);
    expect(pool.free).toBe(0);
  });

  it('does not pool what is not a part buffer (a small body is its own chunk)', async () => {
    const pool = new PartBufferPool(2);
    const reader = new PartReader(bytes(300, 300), PART, pool);
    const part = (await reader.next())!;
    reader.release(part);
    expect(part.last).toBe(true);
    expect(pool.free).toBe(0);
  });

  it('passes on the body error', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(new PartReader(failing, PART, new PartBufferPool(2)).next()).rejects.toThrow(
      'client went away',
    );
  });
});
