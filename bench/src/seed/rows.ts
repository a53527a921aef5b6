import { newUploadId, thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import { annotationText, FAILURES, FILENAME_PATTERNS } from './words.ts';

export type Status = 'pending' | 'completed' | 'failed';

/** One seeded image row, independent of the SQL dialect. */
export interface SeedRow {
  readonly filename: string;
  readonly originalKey: string;
  readonly thumbnailKey: string | null;
  readonly annotation: string | null;
  readonly annotationStatus: Status;
  readonly annotationError: string | null;
  readonly thumbnailStatus: Status;
  readonly thumbnailError: string | null;
  readonly contentType: string;
  readonly byteSize: number;
  readonly width: number;
  readonly height: number;
  readonly uploadedAtMs: number;
}

export interface SeedPlan {
  /** Rows to make; row 0 is the oldest. */
  readonly count: number;
  /** Upload time of the oldest row (ms since the epoch); later rows follow it. */
  readonly startAtMs: number;
  /** Mean gap between consecutive uploads; a few share a millisecond, as bursts of uploads do. */
  readonly meanGapMs?: number;
  /** PRNG seed, so a run is reproducible (except the random part of each key). */
  readonly seed?: number;
}

const TYPES: Readonly<Record<string, { contentType: string; extension: string }>> = {
  jpg: { contentType: 'image/jpeg', extension: '.jpg' },
  jpeg: { contentType: 'image/jpeg', extension: '.jpg' },
  png: { contentType: 'image/png', extension: '.png' },
  webp: { contentType: 'image/webp', extension: '.webp' },
  gif: { contentType: 'image/gif', extension: '.gif' },
};

const SIZES = [
  [4032, 3024],
  [3024, 4032],
  [1920, 1080],
  [6000, 4000],
  [1170, 2532],
  [600, 450],
  [2048, 1536],
] as const;

/** mulberry32: tiny, fast and good enough to spread statuses and names. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rows as a production table would hold them after months of use: nearly all processed, the
 * newest few still pending, a few percent failed with a reason, thumbnails under the key the
 * thumbnailer writes, annotations of typical length.
 */
export function* generateRows(plan: SeedPlan): Generator<SeedRow> {
  const random = prng(plan.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const gap = plan.meanGapMs ?? 90_000;
  // Oldest first, so ids grow with time as they do in production.
  let at = plan.startAtMs;
  for (let i = 0; i < plan.count; i++) {
    const newest = plan.count - 1 - i < 40;
    yield makeRow(i, at, newest, random, pick);
    // One in ten shares the previous row's millisecond: ties exercise the (uploaded_at, id) order.
    at += random() < 0.1 ? 0 : Math.ceil(random() * 2 * gap);
  }
}

function makeRow(
  n: number,
  uploadedAtMs: number,
  newest: boolean,
  random: () => number,
  pick: <T>(list: readonly T[]) => T,
): SeedRow {
  const filename = pick(FILENAME_PATTERNS)(n, pick);
  const ext = /\.([A-Za-z]+)$/.exec(filename)?.[1]?.toLowerCase() ?? 'jpg';
  const type = TYPES[ext] ?? TYPES.jpg!;
  const [width, height] = pick(SIZES);
  const originalKey = uploadKey(filename, { id: newUploadId(uploadedAtMs), extension: type.extension });
  const thumbnailStatus = status(random, newest);
  const annotationStatus = status(random, newest);
  return {
    filename,
    originalKey,
    thumbnailKey: thumbnailStatus === 'completed' ? thumbnailKeyFor(originalKey) : null,
    annotation: annotationStatus === 'completed' ? annotationText(n, pick) : null,
    annotationStatus,
    annotationError: annotationStatus === 'failed' ? pick(FAILURES.annotation) : null,
    thumbnailStatus,
    thumbnailError: thumbnailStatus === 'failed' ? pick(FAILURES.thumbnail) : null,
    contentType: type.contentType,
    byteSize: Math.round(width * height * (0.2 + random() * 0.6)),
    width,
    height,
    uploadedAtMs,
  };
}

/** The newest rows are often still being processed; old rows are done, or failed for good. */
function status(random: () => number, newest: boolean): Status {
  const r = random();
  if (newest && r < 0.25) return 'pending';
  if (r > 0.97) return 'failed';
  if (r > 0.965) return 'pending';
  return 'completed';
}
