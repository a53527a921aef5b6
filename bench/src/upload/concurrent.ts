// Many uploads at once: `concurrency` clients, each sending its next upload as soon as its last
// one is answered (a closed loop, as wrk or autocannon drive a server), for `uploads` uploads per
// round. A warm-up round first (the first uploads of a process also load the upload path, and V8
// goes on compiling its hot functions for a few thousand uploads, so early uploads cost more than
// a long-running server's), shown apart, then measured rounds, then a round that re-sends the
// previous round's files (duplicates: answered without storing).

import { distinctCopy, type ServerProcess } from '@annot/testing';
import { cpuMeter } from '../util/cpu.ts';
import { heading, ms, table } from '../util/print.ts';
import { percentile } from '../util/stats.ts';
import { type UploadResult, uploadFile } from './multipart.ts';

export interface ConcurrentOptions {
  /** Clients sending at once (the figures: 20). */
  readonly concurrency: number;
  /** Uploads per round. */
  readonly uploads: number;
  /** Measured rounds of new files (a duplicates round follows). */
  readonly rounds: number;
  /** Uploads in the warm-up round before them (shown as round 0, not in the measured rounds). */
  readonly warmUp: number;
}

export async function concurrentUploads(
  server: ServerProcess,
  file: Buffer<ArrayBuffer>,
  options: ConcurrentOptions,
): Promise<void> {
  const { concurrency, uploads } = options;
  heading(
    `${concurrency} concurrent clients, ${uploads} uploads of flowers.jpeg ` +
      `(${(file.byteLength / 1024).toFixed(0)} KiB each) per round, after a warm-up round of ${options.warmUp}`,
  );
  // Each upload distinct bytes (a comment differs): the same bytes again would be a duplicate,
  // answered with the stored image instead of stored. Each file is made as its upload starts (the
  // warm-up's 4,000 would be 340 MB at once); a measured round keeps its files, which the last
  // round re-sends.
  let rounds = 0;
  let previous: Buffer<ArrayBuffer>[] = [];
  const round = async (kind: 'warm-up' | 'new' | 'again', count = uploads): Promise<UploadResult[]> => {
    const tag = rounds++;
    const again = previous;
    const total = kind === 'again' ? again.length : count;
    const kept: Buffer<ArrayBuffer>[] = [];
    const results: UploadResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const bytes = kind === 'again' ? again[i]! : distinctCopy(file, `bench ${process.pid} ${tag} ${i}`);
          if (kind === 'new') kept[i] = bytes;
          results.push(await uploadFile(server.url, `flowers-${i}.jpeg`, bytes, 'image/jpeg'));
        }
      }),
    );
    if (kind === 'new') previous = kept;
    return results;
  };
  const rows = [
    [
      'round',
      'uploads/s',
      'p50',
      'p99',
      'max',
      'statuses',
      'web CPU/upload',
      'MariaDB CPU/upload',
      'bench process CPU/upload',
    ],
  ];
  let failed: UploadResult | undefined;
  for (let i = 0; i <= options.rounds + 1; i++) {
    const duplicates = i > options.rounds;
    const warmUp = i === 0;
    // The web tier's processes only: the cluster primary and its workers (s3rver and the clients
    // run in this process, MariaDB in its own; each is reported apart).
    const meter = cpuMeter([...new Set([server.pid, ...server.servingPids()])]);
    const started = performance.now();
    const results = warmUp
      ? await round('warm-up', options.warmUp)
      : await round(duplicates ? 'again' : 'new');
    const wallMs = performance.now() - started;
    const cpu = meter.stop();
    const statuses = new Map<number, number>();
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    failed ??= results.find((r) => r.status !== (duplicates ? 200 : 201));
    const latencies = results.map((r) => r.ms);
    rows.push([
      warmUp
        ? `warm-up (${results.length} uploads)`
        : duplicates
          ? `${i} (the same files again: duplicates)`
          : String(i),
      ((results.length / wallMs) * 1000).toFixed(1),
      ms(percentile(latencies, 50)),
      ms(percentile(latencies, 99)),
      ms(percentile(latencies, 100)),
      [...statuses].map(([status, count]) => `${status}: ${count}`).join(', '),
      ms(cpu.serverMs / results.length),
      ms(cpu.databaseMs / results.length),
      ms(cpu.generatorMs / results.length),
    ]);
  }
  table(rows);
  console.log(
    '  (web CPU = the web processes (/proc/<pid>/stat), nothing else. The bench process runs the\n' +
      '   clients and s3rver, which writes every object to disk; MariaDB is shared with the machine.)',
  );
  if (failed) console.log(`  a failed upload answered ${failed.status}: ${failed.body.slice(0, 300)}`);
}
