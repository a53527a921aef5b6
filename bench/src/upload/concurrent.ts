// Many uploads at once: one unmeasured round (the first uploads of a process also load and
// optimise the upload path, and cost several times what later ones do), then measured rounds.

import { distinctCopy, type ServerProcess } from '@annot/testing';
import { cpuMeter } from '../util/cpu.ts';
import { heading, ms, table } from '../util/print.ts';
import { percentile } from '../util/stats.ts';
import { type UploadResult, uploadFile } from './multipart.ts';

const ROUNDS = 3;

export async function concurrentUploads(
  server: ServerProcess,
  file: Buffer<ArrayBuffer>,
  concurrency: number,
): Promise<void> {
  heading(
    `${concurrency} concurrent uploads of flowers.jpeg (${(file.byteLength / 1024).toFixed(0)} KiB each), ` +
      `after one unmeasured round`,
  );
  // Each upload distinct bytes (a comment differs): the same bytes again would be a duplicate,
  // answered with the stored image instead of stored. The last round re-sends the previous one's.
  let rounds = 0;
  let previous: Buffer<ArrayBuffer>[] = [];
  const round = (again = false) => {
    const files = again
      ? previous
      : Array.from({ length: concurrency }, (_, i) =>
          distinctCopy(file, `bench ${process.pid} ${rounds} ${i}`),
        );
    rounds++;
    previous = files;
    return Promise.all(
      files.map((bytes, i) => uploadFile(server.url, `flowers-${i}.jpeg`, bytes, 'image/jpeg')),
    );
  };
  await round();
  const rows = [
    ['round', 'uploads/s', 'p50', `p99 (= max of ${concurrency})`, 'statuses', 'server CPU/upload'],
  ];
  let failed: UploadResult | undefined;
  for (let i = 1; i <= ROUNDS + 1; i++) {
    const duplicates = i > ROUNDS;
    const meter = cpuMeter([...new Set([server.pid, ...server.servingPids()])]);
    const started = performance.now();
    const results = await round(duplicates);
    const wallMs = performance.now() - started;
    const cpu = meter.stop();
    const statuses = new Map<number, number>();
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    failed ??= results.find((r) => r.status !== (duplicates ? 200 : 201));
    const latencies = results.map((r) => r.ms);
    rows.push([
      duplicates ? `${i} (the same files again: duplicates)` : String(i),
      ((results.length / wallMs) * 1000).toFixed(1),
      ms(percentile(latencies, 50)),
      ms(percentile(latencies, 99)),
      [...statuses].map(([status, count]) => `${status}: ${count}`).join(', '),
      ms(cpu.serverMs / results.length),
    ]);
  }
  table(rows);
  console.log('  (s3rver runs in the bench process: every upload is also written to disk there)');
  if (failed) console.log(`  a failed upload answered ${failed.status}: ${failed.body.slice(0, 300)}`);
}
