// Peak RSS growth of the server's processes over one operation: VmRSS sampled every 20 ms, and
// VmHWM reset at the start, so a peak between two samples is not missed either.
import { readMemory, resetPeak, sampleRss } from '../util/proc.ts';

export interface MemoryGrowth {
  /** The largest growth of any one process: peak during the operation minus RSS just before. */
  readonly peakGrowthBytes: number;
  readonly pid: number;
  /** Whether VmHWM could be reset (if not, only the 20 ms samples count). */
  readonly hwmReset: boolean;
  readonly samples: number;
}

export async function measureGrowth<T>(
  pids: readonly number[],
  operation: () => Promise<T>,
): Promise<{ result: T; growth: MemoryGrowth }> {
  const baseline = new Map(pids.map((pid) => [pid, readMemory(pid)?.rssBytes ?? 0]));
  const hwmReset = pids.map(resetPeak).every(Boolean);
  const sampler = sampleRss(pids, 20);
  let peaks: ReturnType<typeof sampler.stop>;
  let result: T;
  try {
    result = await operation();
  } finally {
    peaks = sampler.stop();
  }
  const growths = pids.map((pid): MemoryGrowth => {
    const sampled = peaks.get(pid)!;
    const hwm = hwmReset ? (readMemory(pid)?.hwmBytes ?? 0) : 0;
    const peak = Math.max(sampled.peakRssBytes, hwm);
    return { peakGrowthBytes: peak - baseline.get(pid)!, pid, hwmReset, samples: sampled.samples };
  });
  const growth = growths.reduce((a, b) => (b.peakGrowthBytes > a.peakGrowthBytes ? b : a));
  return { result, growth };
}
