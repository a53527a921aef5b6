/**
 * Measurement probe, preloaded into the server under test with
 * `NODE_OPTIONS=--import=<this file>` and PROBE_DIR=<dir>; the production app is not changed.
 * Every process of the server (a cluster's primary and each worker) runs it.
 *
 * - Event-loop delay: perf_hooks.monitorEventLoopDelay, sampling every 10 ms.
 * - Presigning: the S3 adapter's own presignStats() counters, summed over the S3ObjectStore
 *   instances this process uses. @annot/storage resolves to the same file here as in the app
 *   (pnpm links resolve to packages/storage), so this is the app's module instance, not a copy.
 *
 * - Memory (with PROBE_MEMORY_MS=<interval>): the peaks of process.memoryUsage() fields, sampled
 *   at that interval, to tell JS heap from Buffer (arrayBuffers) memory.
 *
 * - Forced GC (with PROBE_GC_MS=<interval> and node's --expose-gc): a full GC at that interval, a
 *   diagnostic that leaves only live memory in RSS (dead Buffers otherwise wait for V8's next GC).
 *
 * On SIGUSR2 a process writes <PROBE_DIR>/<pid>.json with the delay since the previous SIGUSR2
 * (or since start) and the presign counters so far, then starts a new delay window.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { S3ObjectStore } from '@annot/storage';

const RESOLUTION_MS = 10;
const directory = process.env.PROBE_DIR;

if (directory) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();

  const stores = new Set<S3ObjectStore>();
  const urlFor = S3ObjectStore.prototype.urlFor;
  S3ObjectStore.prototype.urlFor = function (this: S3ObjectStore, key: string) {
    stores.add(this);
    return urlFor.call(this, key);
  };

  const memoryInterval = Number(process.env.PROBE_MEMORY_MS ?? 0);
  type MemoryPeaks = {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
  };
  let memory: MemoryPeaks | null = null;
  const sampleMemory = () => {
    const now = process.memoryUsage();
    memory ??= { ...now };
    for (const field of Object.keys(memory) as (keyof MemoryPeaks)[])
      memory[field] = Math.max(memory[field], now[field]);
  };
  if (memoryInterval > 0) setInterval(sampleMemory, memoryInterval).unref();

  const gcInterval = Number(process.env.PROBE_GC_MS ?? 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gcInterval > 0 && gc) setInterval(gc, gcInterval).unref();

  let sequence = 0;
  process.on('SIGUSR2', () => {
    sequence++;
    // The histogram records whole timer intervals; the delay is what exceeds the 10 ms interval.
    const excess = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    let signed = 0;
    let cacheHits = 0;
    for (const store of stores) {
      const stats = store.presignStats();
      signed += stats.signed;
      cacheHits += stats.cacheHits;
    }
    const snapshot = {
      pid: process.pid,
      sequence,
      eld: {
        samples: histogram.count,
        meanMs: excess(histogram.mean),
        p50Ms: excess(histogram.percentile(50)),
        p99Ms: excess(histogram.percentile(99)),
        maxMs: excess(histogram.max),
      },
      presign: { stores: stores.size, signed, cacheHits },
      memory: { now: process.memoryUsage(), peaks: memory },
    };
    histogram.reset();
    memory = null;
    const file = path.join(directory, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
  });
}
