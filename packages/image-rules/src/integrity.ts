import { crc32 } from 'node:zlib';
import type { FormatInfo, ImageFormat } from './formats.ts';
import { type ImageProblem, problems } from './problems.ts';

/**
 * Checks that a file's container is whole: every chunk, box, block or segment its structure
 * declares is present, up to the format's end marker. A decoder alone does not: libvips shows a
 * GIF cut short as the frames it got, and an AVIF cut short as a green picture. The check walks
 * the structure as the bytes stream past, keeping a few bytes of state, so the web tier runs it on
 * an upload while storing it and the workers run it on the bytes they read; both get the same
 * verdict. It reads lengths and markers only (plus PNG's checksums); damage inside compressed
 * data is left to the decoder.
 *
 * What counts as whole, per format:
 * - JPEG: SOI, segments by their lengths, entropy-coded scans up to the next marker, then EOI.
 *   Stray bytes between segments are skipped, as libjpeg does (common in phone photos).
 * - PNG: the signature, IHDR first, every chunk's CRC, then IEND.
 * - GIF: header, colour tables, every block's sub-blocks, at least one image, then the trailer.
 * - WebP: the RIFF size is all present and its chunks fill it, with image data among them.
 * - AVIF: top-level ISO-BMFF boxes, ftyp first, each as long as it says, with meta and mdat.
 * Bytes after the end (trailing data some cameras append) are ignored, as decoders ignore them.
 */
export interface IntegrityCheck {
  /** Feeds the next bytes. They are not kept, except the few a header needs. */
  update(chunk: Uint8Array): void;
  /** After the last byte: null when the file is whole, else what is wrong. */
  finish(): ImageProblem | null;
}

export function createIntegrityCheck(info: FormatInfo): IntegrityCheck {
  return new StructureWalker(info, PARSERS[info.format]());
}

/** The one-call form, for bytes already in memory. */
export function checkIntegrity(bytes: Uint8Array, info: FormatInfo): ImageProblem | null {
  const check = createIntegrityCheck(info);
  check.update(bytes);
  return check.finish();
}

// ---------------------------------------------------------------------------------------------
// The walker: format parsers are generators that ask for bytes; the walker feeds them chunks.

type Op =
  /** Resumes with exactly n bytes. */
  | { readonly kind: 'read'; readonly n: number }
  /** Resumes with n bytes, or with null when the file ends cleanly before the first of them. */
  | { readonly kind: 'readOrEnd'; readonly n: number }
  /** Passes over n bytes; resumes with their CRC-32 continued from `crc` when given. */
  | { readonly kind: 'skip'; readonly n: number; readonly crc?: number }
  /** JPEG entropy-coded data: resumes with the code of the next marker (after an 0xFF). */
  | { readonly kind: 'marker' }
  /** Everything up to the end belongs to the last box. */
  | { readonly kind: 'rest' };

type Resume = Uint8Array | number | null | undefined;
/** A parser's verdict: null when whole, or what broke (for the logs). */
type Verdict = null | { readonly broken: string };
type Parser = Generator<Op, Verdict, Resume>;

class StructureWalker implements IntegrityCheck {
  readonly #info: FormatInfo;
  readonly #parser: Parser;
  #op: Op | undefined;
  #verdict: Verdict | undefined;
  #parts: Uint8Array[] = [];
  #have = 0;
  #left = 0;
  #crc: number | undefined;
  #afterFF = false;
  #total = 0;

  constructor(info: FormatInfo, parser: Parser) {
    this.#info = info;
    this.#parser = parser;
    this.#resume(undefined);
  }

  update(chunk: Uint8Array): void {
    this.#total += chunk.length;
    let pos = 0;
    while (this.#op && pos < chunk.length) {
      const op = this.#op;
      switch (op.kind) {
        case 'read':
        case 'readOrEnd': {
          const take = Math.min(op.n - this.#have, chunk.length - pos);
          // Copied: a caller may reuse its chunk buffers once update returns.
          this.#parts.push(chunk.slice(pos, pos + take));
          this.#have += take;
          pos += take;
          if (this.#have === op.n) this.#resume(concat(this.#parts, op.n));
          break;
        }
        case 'skip': {
          const take = Math.min(this.#left, chunk.length - pos);
          if (this.#crc !== undefined) this.#crc = crc32(chunk.subarray(pos, pos + take), this.#crc);
          this.#left -= take;
          pos += take;
          if (this.#left === 0) this.#resume(this.#crc);
          break;
        }
        case 'marker':
          pos = this.#scan(chunk, pos);
          break;
        case 'rest':
          return;
      }
    }
  }

  finish(): ImageProblem | null {
    // A file may end cleanly where a parser allows it (between ISO-BMFF boxes).
    if (this.#op?.kind === 'readOrEnd' && this.#have === 0) this.#resume(null);
    if (this.#op?.kind === 'rest') this.#verdict = null;
    if (this.#verdict === undefined) {
      return problems.truncated(this.#info, `ends after ${this.#total} bytes, inside its structure`);
    }
    return this.#verdict === null ? null : problems.damaged(this.#info, this.#verdict.broken);
  }

  /** Entropy-coded data: 0xFF 0x00 is a stuffed 0xFF, 0xFF 0xD0-D7 a restart, 0xFF 0xFF fill. */
  #scan(chunk: Uint8Array, from: number): number {
    let pos = from;
    while (pos < chunk.length) {
      if (!this.#afterFF) {
        const at = chunk.indexOf(0xff, pos);
        if (at < 0) return chunk.length;
        this.#afterFF = true;
        pos = at + 1;
        continue;
      }
      const byte = chunk[pos++]!;
      if (byte === 0xff) continue;
      this.#afterFF = false;
      if (byte === 0x00 || (byte >= 0xd0 && byte <= 0xd7)) continue;
      this.#resume(byte);
      return pos;
    }
    return pos;
  }

  /** Runs the parser to its next request for bytes (zero-length requests are answered at once). */
  #resume(value: Resume): void {
    let next = this.#parser.next(value);
    for (;;) {
      if (next.done) {
        this.#verdict = next.value;
        this.#op = undefined;
        return;
      }
      const op = next.value;
      this.#op = op;
      this.#parts = [];
      this.#have = 0;
      if (op.kind === 'skip') {
        this.#left = op.n;
        this.#crc = op.crc;
        if (op.n === 0) {
          next = this.#parser.next(op.crc);
          continue;
        }
      }
      if (op.kind === 'marker') this.#afterFF = false;
      return;
    }
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requests, typed for the parsers.

function* read(n: number): Generator<Op, Uint8Array, Resume> {
  return (yield { kind: 'read', n }) as Uint8Array;
}

function* readOrEnd(n: number): Generator<Op, Uint8Array | null, Resume> {
  return (yield { kind: 'readOrEnd', n }) as Uint8Array | null;
}

function* skip(n: number): Generator<Op, void, Resume> {
  yield { kind: 'skip', n };
}

function* skipWithCrc(n: number, crc: number): Generator<Op, number, Resume> {
  return (yield { kind: 'skip', n, crc }) as number;
}

function* nextMarker(): Generator<Op, number, Resume> {
  return (yield { kind: 'marker' }) as number;
}

const broken = (what: string): Verdict => ({ broken: what });

const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32be = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u32le = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

// ---------------------------------------------------------------------------------------------
// The formats.

const JPEG_EOI = 0xd9;
const JPEG_SOS = 0xda;
/** SOF0-SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isFrameHeader = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function* jpeg(): Parser {
  const soi = yield* read(2);
  if (soi[0] !== 0xff || soi[1] !== 0xd8) return broken('no start-of-image marker');
  let frames = 0;
  let scans = 0;
  let marker = yield* nextMarker();
  for (;;) {
    if (marker === JPEG_EOI) return scans > 0 ? null : broken('end marker before any image data');
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      marker = yield* nextMarker();
      continue;
    }
    // 0x02-0xBF are reserved: in a real file they only appear where data was overwritten.
    if (marker < 0xc0) return broken(`invalid marker ${hex(marker)}`);
    const length = u16be(yield* read(2), 0);
    if (length < 2) return broken(`segment ${hex(marker)} has length ${length}`);
    if (isFrameHeader(marker)) frames++;
    if (marker === JPEG_SOS) {
      if (frames === 0) return broken('image data before the frame header');
      scans++;
    }
    yield* skip(length - 2);
    marker = yield* nextMarker();
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function* png(): Parser {
  const signature = yield* read(8);
  if (!PNG_SIGNATURE.every((byte, i) => signature[i] === byte)) return broken('no PNG signature');
  let first = true;
  for (;;) {
    const head = yield* read(8);
    const length = u32be(head, 0);
    const type = ascii(head, 4, 8);
    if (!/^[A-Za-z]{4}$/.test(type)) return broken(`chunk type ${JSON.stringify(type)} is not a name`);
    if (length > 0x7fffffff) return broken(`chunk ${type} claims ${length} bytes`);
    if (first && type !== 'IHDR') return broken(`first chunk is ${type}, not IHDR`);
    first = false;
    const computed = yield* skipWithCrc(length, crc32(head.subarray(4, 8)));
    const stored = u32be(yield* read(4), 0);
    if (stored !== computed) return broken(`chunk ${type} fails its CRC check`);
    if (type === 'IEND') return null;
  }
}

const colourTableBytes = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);

function* gifSubBlocks(): Generator<Op, void, Resume> {
  for (;;) {
    const [size] = yield* read(1);
    if (size === 0) return;
    yield* skip(size!);
  }
}

function* gif(): Parser {
  const header = yield* read(13);
  if (!/^GIF8[79]a$/.test(ascii(header, 0, 6))) return broken('no GIF signature');
  yield* skip(colourTableBytes(header[10]!));
  let images = 0;
  for (;;) {
    const [introducer] = yield* read(1);
    if (introducer === 0x3b) return images > 0 ? null : broken('trailer before any image');
    if (introducer === 0x21) {
      yield* read(1); // the extension's label
      yield* gifSubBlocks();
    } else if (introducer === 0x2c) {
      const descriptor = yield* read(9);
      yield* skip(colourTableBytes(descriptor[8]!));
      const [codeSize] = yield* read(1);
      if (codeSize! < 1 || codeSize! > 11) return broken(`LZW code size ${codeSize}`);
      yield* gifSubBlocks();
      images++;
    } else {
      return broken(`byte ${hex(introducer!)} where a block should start`);
    }
  }
}

const WEBP_IMAGE_CHUNKS = new Set(['VP8 ', 'VP8L', 'ANMF']);

function* webp(): Parser {
  const header = yield* read(12);
  if (ascii(header, 0, 4) !== 'RIFF' || ascii(header, 8, 12) !== 'WEBP') return broken('no RIFF/WEBP header');
  let left = u32le(header, 4) - 4;
  let images = 0;
  while (left > 0) {
    if (left < 8) return broken('a chunk header runs past the RIFF size');
    const chunk = yield* read(8);
    const size = u32le(chunk, 4);
    left -= 8;
    if (size > left) return broken(`chunk ${ascii(chunk, 0, 4)} is larger than the RIFF size leaves`);
    // Chunks are padded to an even length; some writers omit the last chunk's pad byte.
    const padded = Math.min(size + (size & 1), left);
    if (WEBP_IMAGE_CHUNKS.has(ascii(chunk, 0, 4))) images++;
    yield* skip(padded);
    left -= padded;
  }
  return images > 0 ? null : broken('no image data chunk');
}

function* avif(): Parser {
  const seen = new Set<string>();
  for (;;) {
    const head = yield* readOrEnd(8);
    if (head === null) {
      return seen.has('meta') && seen.has('mdat') ? null : broken('no meta or no mdat box');
    }
    const type = ascii(head, 4, 8);
    if (seen.size === 0 && type !== 'ftyp') return broken(`first box is ${JSON.stringify(type)}, not ftyp`);
    seen.add(type);
    let size = u32be(head, 0);
    let headerBytes = 8;
    if (size === 1) {
      const large = yield* read(8);
      size = u32be(large, 0) * 2 ** 32 + u32be(large, 4);
      headerBytes = 16;
    } else if (size === 0) {
      // "To the end of the file": whole by definition, and nothing may follow it.
      if (!seen.has('meta')) return broken(`box ${type} runs to the end before any meta box`);
      yield { kind: 'rest' };
      return null;
    }
    if (size < headerBytes) return broken(`box ${type} claims ${size} bytes`);
    yield* skip(size - headerBytes);
  }
}

const PARSERS: Readonly<Record<ImageFormat, () => Parser>> = { jpeg, png, gif, webp, avif };
