// Many uploads at once: one unmeasured round (the first uploads of a process also load and
// optimise the upload path, and cost several times what later ones do), then measured rounds.

import type { ServerProcess } from '@annot/testing';
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
  const round = () =>
    Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        uploadFile(server.url, `flowers-${i}.jpeg`, file, 'image/jpeg'),
      ),
    );
  await round();
  const rows = [
    ['round', 'uploads/s', 'p50', `p99 (= max of ${concurrency})`, 'statuses', 'server CPU/upload'],
  ];
  let failed: UploadResult | undefined;
  for (let i = 1; i <= ROUNDS; i++) {
    const meter = cpuMeter([...new Set([server.pid, ...server.servingPids()])]);
    const started = performance.now();
    const results = await round();
    const wallMs = performance.now() - started;
    const cpu = meter.stop();
    const statuses = new Map<number, number>();
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    failed ??= results.find((r) => r.status !== 201);
    const latencies = results.map((r) => r.ms);
    rows.push([
      String(i),
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
