// Reading how much memory a server's processes hold from Linux's /proc (which processes it has:
// @annot/testing's descendants).
import { readFileSync, writeFileSync } from 'node:fs';

export interface Memory {
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size (since start, or since resetPeak). */
  readonly hwmBytes: number;
}

/** VmRSS and VmHWM of a process, or null when it is gone. */
export function readMemory(pid: number): Memory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

/**
 * Resets VmHWM to the current RSS ("5" to clear_refs, Linux 4.0+), so the next reading of VmHWM is
 * the peak since now, even between two samples. False when the kernel refuses it.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSampler {
  /** Stops sampling; per process, the highest RSS seen and the number of samples. */
  stop(): Map<number, { peakRssBytes: number; samples: number }>;
}

/** Samples VmRSS of each process every `intervalMs` (20 ms by default). */
export function sampleRss(pids: readonly number[], intervalMs = 20): RssSampler {
  const peaks = new Map(pids.map((pid) => [pid, { peakRssBytes: 0, samples: 0 }]));
  const sample = () => {
    for (const [pid, peak] of peaks) {
      const memory = readMemory(pid);
      if (!memory) continue;
      peak.peakRssBytes = Math.max(peak.peakRssBytes, memory.rssBytes);
      peak.samples++;
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
