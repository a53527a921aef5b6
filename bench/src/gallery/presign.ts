// Presigning cost, in this process, on the storage adapter the server uses (S3ObjectStore with the
// production presign settings: URLs valid 3600 s, reused for 300 s).
import { S3ObjectStore, type Storage } from '@annot/storage';

export interface PresignCost {
  /** The very first URL of a process: resolves the bucket endpoint and builds the signer. */
  readonly firstUrlMs: number;
  /** Mean cost of the first URL for a key (a SigV4 signature) and of a repeat (a cache hit). */
  readonly coldUs: number;
  readonly warmUs: number;
  readonly keys: number;
  readonly signed: number;
  readonly cacheHits: number;
}

const KEYS = 2000;
const ROUNDS = 5;

/**
 * Each round signs KEYS new keys one at a time (as a page's cards would be signed with nothing
 * cached), then asks for the same keys again (all cache hits). The median round is reported, so a
 * GC pause or a neighbour's burst of CPU on this shared machine does not decide the figure.
 */
export async function measurePresignCost(storage: Storage): Promise<PresignCost> {
  const store = storage.thumbnails;
  if (!(store instanceof S3ObjectStore)) throw new Error('the presign bench needs the S3 adapter');

  const started = performance.now();
  await store.urlFor('thumbnails/setup/first.jpg');
  const firstUrlMs = performance.now() - started;
  const before = store.presignStats();

  const cold: number[] = [];
  const warm: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const keys = Array.from(
      { length: KEYS },
      (_, i) => `thumbnails/${(1e12 + round * 1e6 + i).toString(36)}/img-${i}.jpg`,
    );
    cold.push(await perCallUs(keys, (key) => store.urlFor(key)));
    warm.push(await perCallUs(keys, (key) => store.urlFor(key)));
  }
  const after = store.presignStats();
  return {
    firstUrlMs,
    coldUs: median(cold),
    warmUs: median(warm),
    keys: KEYS * ROUNDS,
    signed: after.signed - before.signed,
    cacheHits: after.cacheHits - before.cacheHits,
  };
}

async function perCallUs(keys: readonly string[], call: (key: string) => Promise<string>): Promise<number> {
  const started = performance.now();
  for (const key of keys) await call(key);
  return ((performance.now() - started) * 1000) / keys.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
