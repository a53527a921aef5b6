// The bench's side of probe/preload.ts: set up its directory, and ask each server process for a
// snapshot with SIGUSR2.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ProbeSnapshot {
  readonly pid: number;
  readonly sequence: number;
  /** Event-loop delay (ms beyond the 10 ms sampling interval) since the previous snapshot. */
  readonly eld: { samples: number; meanMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** Cumulative presign counters of the process's S3 stores. */
  readonly presign: { stores: number; signed: number; cacheHits: number };
  /** process.memoryUsage() now, and its peaks since the previous snapshot (with PROBE_MEMORY_MS). */
  readonly memory: { now: MemoryFields; peaks: MemoryFields | null };
}

export interface MemoryFields {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'preload.ts');

export interface Probe {
  /** Environment for the server: NODE_OPTIONS preloading the probe, and its output directory. */
  readonly env: Record<string, string>;
  /** One snapshot per process; also starts a new delay window in each. */
  snapshot(pids: readonly number[]): Promise<ProbeSnapshot[]>;
  dispose(): void;
}

export interface ProbeOptions {
  /** Also sample process.memoryUsage() at this interval (0: off). */
  readonly memoryIntervalMs?: number;
  /** Force a full GC at this interval (0: off); the server must run with --expose-gc. */
  readonly forceGcMs?: number;
}

export function createProbe(options: ProbeOptions = {}): Probe {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'bench-probe-'));
  const read = (pid: number): ProbeSnapshot | null => {
    try {
      return JSON.parse(readFileSync(path.join(directory, `${pid}.json`), 'utf8')) as ProbeSnapshot;
    } catch {
      return null;
    }
  };
  return {
    env: {
      NODE_OPTIONS: `--import=${pathToFileURL(PRELOAD).href}`,
      PROBE_DIR: directory,
      PROBE_MEMORY_MS: String(options.memoryIntervalMs ?? 0),
      PROBE_GC_MS: String(options.forceGcMs ?? 0),
    },
    async snapshot(pids) {
      const before = new Map(pids.map((pid) => [pid, read(pid)?.sequence ?? 0]));
      for (const pid of pids) process.kill(pid, 'SIGUSR2');
      const deadline = Date.now() + 5000;
      for (;;) {
        const snapshots = pids.map(read);
        if (snapshots.every((s, i) => s !== null && s.sequence > before.get(pids[i]!)!)) {
          return snapshots as ProbeSnapshot[];
        }
        if (Date.now() > deadline) {
          throw new ProbeError(`server processes ${pids.join(', ')} did not answer the probe within 5 s`);
        }
        await sleep(10);
      }
    },
    dispose() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The worst (highest) delay among the processes: the busiest one is what a user waits on. */
export function worstDelay(snapshots: readonly ProbeSnapshot[]): { p99Ms: number; maxMs: number } {
  let p99Ms = 0;
  let maxMs = 0;
  for (const s of snapshots) {
    p99Ms = Math.max(p99Ms, s.eld.p99Ms);
    maxMs = Math.max(maxMs, s.eld.maxMs);
  }
  return { p99Ms, maxMs };
}

/** Presign counters summed over processes. */
export function presignTotals(snapshots: readonly ProbeSnapshot[]): { signed: number; cacheHits: number } {
  return snapshots.reduce(
    (sum, s) => ({ signed: sum.signed + s.presign.signed, cacheHits: sum.cacheHits + s.presign.cacheHits }),
    { signed: 0, cacheHits: 0 },
  );
}
