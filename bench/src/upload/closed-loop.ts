// `clients` clients in a closed loop (each sends its next upload as soon as its last is answered),
// `count` uploads in all, each of distinct bytes (the same bytes again would be a duplicate,
// answered without storing). Every upload must be answered 201.

import { distinctCopy } from '@annot/testing';
import { uploadFile } from './multipart.ts';

let sent = 0;

/** Resolves with each upload's latency in ms. */
export async function closedLoop(
  url: string,
  file: Uint8Array,
  options: { readonly clients: number; readonly count: number },
): Promise<number[]> {
  let left = options.count;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (left-- > 0) {
        const bytes = distinctCopy(file, `closed loop ${process.pid} ${sent++}`);
        try {
          const result = await uploadFile(url, 'flowers.jpeg', bytes, 'image/jpeg');
          if (result.status !== 201) throw new Error(`upload answered ${result.status}: ${result.body}`);
          latencies.push(result.ms);
        } catch (error) {
          left = 0; // the other clients stop too
          throw error;
        }
      }
    }),
  );
  return latencies;
}
