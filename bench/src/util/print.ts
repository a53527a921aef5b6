// Printing figures: aligned tables, target verdicts, and the machine a run came from.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Measured } from './load.ts';

export function heading(text: string): void {
  console.log(`\n== ${text}`);
}

export function table(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  for (const row of rows) {
    console.log(
      `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`,
    );
  }
}

export const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
export const rate = (value: number): string => value.toFixed(0);
export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** Anything but a 2xx response, plus connection errors and timeouts. */
export function failures(m: Measured): number {
  return m.report.errors + m.report.timeouts + m.report.non2xx;
}

export const LOAD_HEADER = [
  'run',
  'requests',
  'req/s',
  'mean',
  'p50',
  'p95',
  'p99',
  'max',
  'errors',
  'ELD p99',
];

export function loadRow(m: Measured): string[] {
  const r = m.report;
  return [
    m.label,
    String(r.requests),
    rate(r.requestsPerSecond),
    ms(r.latencyMs.mean),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p95),
    ms(r.latencyMs.p99),
    ms(r.latencyMs.max),
    String(failures(m)),
    ms(m.eld.p99Ms),
  ];
}

/**
 * CPU per response of each side. Server, database and load generator share this machine's cores,
 * so cores x 1000 / (their sum) is the most requests/s the machine could serve at all.
 */
export function cpuTable(runs: readonly Measured[]): void {
  const rows = [['run', 'server', 'database', 'generator', 'sum', 'ceiling req/s']];
  for (const m of runs) {
    const per = (value: number) => value / Math.max(1, m.report.responses);
    const limit = ceiling(m);
    rows.push([
      m.label,
      ms(per(m.cpu.serverMs)),
      ms(per(m.cpu.databaseMs)),
      ms(per(m.cpu.generatorMs)),
      ms(limit.perResponseMs),
      rate(limit.requestsPerSecond),
    ]);
  }
  table(rows);
}

/** "MET" or "NOT MET", with what was measured against what was asked. */
export function verdict(label: string, ok: boolean, detail: string): boolean {
  console.log(`  ${ok ? 'MET    ' : 'NOT MET'}  ${label}: ${detail}`);
  return ok;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly date: string;
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: os.cpus() will do
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
}

export function printMachine(): void {
  const m = machine();
  console.log(`machine: ${m.cores} cores, ${m.cpu}, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.date}`);
  printLoad();
}

/** The load average: other work on a shared machine takes cores from the server and the generator. */
export function printLoad(): void {
  const [one, five] = os.loadavg();
  console.log(
    `load average: ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${os.availableParallelism()} cores`,
  );
}

/** CPU ms per response (server + database + generator) and the requests/s it allows on this machine. */
export function ceiling(m: Measured): { perResponseMs: number; requestsPerSecond: number } {
  const perResponseMs =
    (m.cpu.serverMs + m.cpu.databaseMs + m.cpu.generatorMs) / Math.max(1, m.report.responses);
  return { perResponseMs, requestsPerSecond: (os.availableParallelism() * 1000) / perResponseMs };
}
