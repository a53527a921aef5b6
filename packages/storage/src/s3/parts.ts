/** One part of a body: `data` views a recycled buffer, valid until that buffer is released. */
export interface Part {
  readonly number: number;
  readonly data: Buffer;
  /** True for the body's last part (then `number === 1` means the body fits in one part). */
  readonly last: boolean;
}

/**
 * Free part buffers, shared by the puts of a process: a put takes its buffers from here and gives
 * them back when its parts are uploaded, so one large upload after another reuses the same memory
 * instead of leaving it to the garbage collector (which frees Buffer memory late: parts.ts's
 * PartReader explains). At most `maxFree` buffers per size are kept; the rest are dropped.
 */
export class PartBufferPool {
  readonly #maxFree: number;
  readonly #free = new Map<number, Buffer[]>();

  constructor(maxFree: number) {
    this.#maxFree = maxFree;
  }

  take(size: number): Buffer {
    // allocUnsafeSlow: memory of its own (never a slice of Node's shared pool), filled before use.
    return this.#free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    const free = this.#free.get(buffer.byteLength) ?? [];
    this.#free.set(buffer.byteLength, free);
    if (free.length < this.#maxFree && !free.includes(buffer)) free.push(buffer);
  }

  /** Buffers kept for reuse now. */
  get free(): number {
    let count = 0;
    for (const buffers of this.#free.values()) count += buffers.length;
    return count;
  }
}

/** The process's pool: two 5 MiB buffers are what one put holds with one part in flight. */
export const partBuffers = new PartBufferPool(2);

/**
 * Cuts a byte stream into parts of exactly `partSize` bytes (the last one shorter), copying each
 * chunk into a part buffer as it arrives, so the chunk can be freed at once.
 *
 * Why not lib-storage's chunker: it keeps a part's chunks until the part is complete and then
 * concatenates them into a new buffer, which it keeps until the next part is cut; so a put held
 * each part about twice over, and left one part-sized buffer of garbage behind per part. Here the
 * buffers are recycled: `release` gives a part's buffer back once it is uploaded, so a put holds
 * at most (parts in flight + 1) buffers whatever the body's size, and leaves none behind: they go
 * back to a pool shared by the next puts.
 *
 * The first part is the exception: a body that fits in one part (most uploads) is sent as one
 * PutObject, so its chunks are kept as they are until it is known to be larger than a part,
 * rather than reserving a whole part buffer for a few kilobytes.
 */
export class PartReader {
  readonly #source: AsyncIterator<Buffer>;
  readonly #partSize: number;
  readonly #pool: PartBufferPool;
  /** The part buffers this reader took, by their memory (a part's data is a view of one). */
  readonly #owned = new Map<ArrayBufferLike, Buffer>();
  /** A chunk read but not yet (wholly) copied into a part, and how much of it was. */
  #pending: Buffer | null = null;
  #pendingOffset = 0;
  #ended = false;
  #number = 0;
  #bytes = 0;

  constructor(source: AsyncIterable<Buffer>, partSize: number, pool: PartBufferPool = partBuffers) {
    this.#source = source[Symbol.asyncIterator]();
    this.#partSize = partSize;
    this.#pool = pool;
  }

  /** Bytes read from the source so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The next part, or null after the last one. */
  async next(): Promise<Part | null> {
    if (this.#ended && this.#pending === null) return null;
    this.#number++;
    const data = this.#number === 1 ? await this.#firstPart() : await this.#fill(this.#buffer(), 0);
    // A part that is exactly full may still be the last: look one chunk ahead to know.
    if (this.#pending === null) await this.#read();
    return { number: this.#number, data, last: this.#ended && this.#pending === null };
  }

  /** Gives a part's buffer back for the next parts (once it is sent: it will be overwritten). */
  release(part: Part): void {
    const buffer = this.#owned.get(part.data.buffer);
    if (!buffer) return;
    this.#owned.delete(part.data.buffer);
    this.#pool.give(buffer);
  }

  async #firstPart(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let length = 0;
    while (length < this.#partSize && (await this.#read())) {
      chunks.push(this.#pending!);
      length += this.#pending!.byteLength;
      this.#pending = null;
    }
    if (length <= this.#partSize) {
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    }
    // Larger than a part: copy what fits into a part buffer; the rest of the last chunk waits.
    const buffer = this.#buffer();
    let offset = 0;
    for (const chunk of chunks) {
      const copied = chunk.copy(buffer, offset, 0, Math.min(chunk.byteLength, this.#partSize - offset));
      offset += copied;
      if (copied < chunk.byteLength) {
        this.#pending = chunk;
        this.#pendingOffset = copied;
      }
    }
    return buffer;
  }

  async #fill(buffer: Buffer, start: number): Promise<Buffer> {
    let offset = start;
    while (offset < this.#partSize && (this.#pending !== null || (await this.#read()))) {
      const chunk = this.#pending!;
      const copied = chunk.copy(buffer, offset, this.#pendingOffset);
      offset += copied;
      this.#pendingOffset += copied;
      if (this.#pendingOffset === chunk.byteLength) {
        this.#pending = null;
        this.#pendingOffset = 0;
      }
    }
    return buffer.subarray(0, offset);
  }

  /** Reads the next non-empty chunk into #pending; false at the end of the source. */
  async #read(): Promise<boolean> {
    while (!this.#ended) {
      const next = await this.#source.next();
      if (next.done) {
        this.#ended = true;
        break;
      }
      if (next.value.byteLength > 0) {
        this.#pending = next.value;
        this.#pendingOffset = 0;
        this.#bytes += next.value.byteLength;
        return true;
      }
    }
    return false;
  }

  #buffer(): Buffer {
    const buffer = this.#pool.take(this.#partSize);
    this.#owned.set(buffer.buffer, buffer);
    return buffer;
  }
}
