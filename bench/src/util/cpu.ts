// CPU time spent by the processes that serve a request (server, database, load generator), from
// /proc/<pid>/stat. On a 2-core machine running all three, their sum per request sets the ceiling
// on requests/s: 2 cores x 1000 ms / (CPU ms per request).
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process so far, in ms (0 when it is gone). */
export function cpuTimeMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids whose command name is one of `names` (e.g. the MariaDB server: "mariadbd", "mysqld"). */
export function pidsNamed(names: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export interface CpuShare {
  readonly serverMs: number;
  readonly databaseMs: number;
  /** This process: the load generator (autocannon runs in-process), plus anything idle here. */
  readonly generatorMs: number;
}

/** Starts counting; `stop()` gives the CPU time each side used since. */
export function cpuMeter(serverPids: readonly number[]): { stop(): CpuShare } {
  const database = pidsNamed(['mariadbd', 'mysqld']);
  const sum = (pids: readonly number[]) => pids.reduce((total, pid) => total + cpuTimeMs(pid), 0);
  const start = { server: sum(serverPids), database: sum(database), self: process.cpuUsage() };
  return {
    stop() {
      const self = process.cpuUsage(start.self);
      return {
        serverMs: sum(serverPids) - start.server,
        databaseMs: sum(database) - start.database,
        generatorMs: (self.user + self.system) / 1000,
      };
    },
  };
}
