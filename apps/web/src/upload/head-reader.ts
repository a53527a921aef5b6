/**
 * Reads a stream a little at a time and keeps what it read, so an upload's first bytes can be
 * inspected before anything is stored, and then replayed in front of the rest of the stream.
 * Nothing beyond what `fill` asked for is held in memory.
 */
export class HeadReader {
  readonly #iterator: AsyncIterator<Buffer>;
  #chunks: Buffer[] = [];
  #length = 0;
  #ended = false;
  #replayed = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** Bytes held so far. */
  get length(): number {
    return this.#length;
  }

  /** True once the source has no more bytes. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Reads until at least `bytes` are held or the source ends. */
  async fill(bytes: number): Promise<void> {
    while (!this.#ended && this.#length < bytes) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.#ended = true;
        break;
      }
      this.#chunks.push(next.value);
      this.#length += next.value.length;
    }
  }

  /** The bytes held so far, as one buffer. */
  head(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0]!;
  }

  /** The whole stream: the held bytes, then the rest as it arrives. Can be taken once. */
  async *replay(): AsyncGenerator<Buffer> {
    if (this.#replayed) throw new Error('HeadReader.replay: already taken');
    this.#replayed = true;
    const held = this.#chunks;
    this.#chunks = [];
    this.#length = 0;
    yield* held;
    while (!this.#ended) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.#ended = true;
        return;
      }
      yield next.value;
    }
  }

  /**
   * Reads and drops whatever is left. A multipart file stream must be read to its end (not
   * destroyed), or the parser never reaches the next file of the request.
   */
  async drain(): Promise<void> {
    this.#chunks = [];
    this.#length = 0;
    while (!this.#ended) {
      const next = await this.#iterator.next();
      if (next.done) this.#ended = true;
    }
  }
}
