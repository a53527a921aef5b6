// One measured load run: @annot/loadtest drives the URL while the probe brackets the run, so the
// event-loop delay and presign counters cover exactly the run.
import { DEFAULTS, type ProgressSnapshot, type Report, runLoadTest } from '@annot/loadtest';
import type { ServerProcess } from '@annot/testing';
import { type Probe, presignTotals, worstDelay } from '../probe/client.ts';
import { type CpuShare, cpuMeter } from './cpu.ts';

export interface Measured {
  readonly label: string;
  readonly report: Report;
  /** Worst server process's event-loop delay during the run (ms beyond the sampling interval). */
  readonly eld: { p99Ms: number; maxMs: number };
  /** Signatures computed and cache hits during the run, all processes together. */
  readonly presign: { signed: number; cacheHits: number };
  /** CPU time used during the run by the server's processes, the database and this process. */
  readonly cpu: CpuShare;
}

export interface RunSpec {
  readonly label: string;
  readonly path: string;
  readonly requests?: number;
  readonly durationSeconds?: number;
  readonly concurrency?: number;
}

export async function measure(server: ServerProcess, probe: Probe, spec: RunSpec): Promise<Measured> {
  const pids = server.servingPids();
  const before = presignTotals(await probe.snapshot(pids));
  const meter = cpuMeter([...new Set([server.pid, ...pids])]);
  const report = await runLoadTest(
    {
      url: `${server.url}${spec.path}`,
      requests: spec.requests,
      durationSeconds: spec.durationSeconds,
      concurrency: spec.concurrency ?? DEFAULTS.concurrency,
      timeoutSeconds: DEFAULTS.timeoutSeconds,
      maxErrorRate: 0,
      method: 'GET',
      headers: {},
      allowRemote: false,
    },
    { onProgress: progressLine(spec.label), progressIntervalMs: 1000 },
  );
  const cpu = meter.stop();
  clearProgress();
  const after = await probe.snapshot(pids);
  const totals = presignTotals(after);
  return {
    label: spec.label,
    report,
    eld: worstDelay(after),
    presign: { signed: totals.signed - before.signed, cacheHits: totals.cacheHits - before.cacheHits },
    cpu,
  };
}

const tty = process.stderr.isTTY === true;

function progressLine(label: string): (snapshot: ProgressSnapshot) => void {
  return (s) => {
    if (!tty) return;
    const done = s.totalRequests ? `${s.completed}/${s.totalRequests}` : `${s.completed}`;
    process.stderr.write(
      `\r  ${label}: ${done} requests, ${Math.round(s.currentRate)} req/s, ${s.errors} errors   `,
    );
  };
}

function clearProgress(): void {
  if (tty) process.stderr.write('\r\x1b[2K');
}
