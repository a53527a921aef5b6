/**
 * Sums `perf script` output (on-CPU samples with call graphs, from a node started with
 * --perf-basic-prof) by owner: for each sample, the innermost frame that belongs to a package
 * (node_modules/<name>) or to a source file of this repository (apps/..., packages/...) owns it,
 * together with the Node core and native code it called. Samples of V8's background compiler and
 * garbage collector, and those with no such frame (the HTTP server's own work, the kernel's
 * network stack), are shown apart.
 *
 *   perf script -i DIR/perf.data | node bench/src/profile/perf-summary.ts [rows]
 */
import { createInterface } from 'node:readline';

const rows = Number(process.argv[2] ?? 40);
const PACKAGE = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/;
const SOURCE = /\/((?:apps|packages)\/[^/]+\/src\/[^: ]+)/;
const GC = /Scaveng|Marking|Sweeper|MarkCompact|Heap::|GCTracer|Evacuat/;
const JIT = /compiler::|Maglev|Turbofan|Compile/;

function owner(stack: readonly string[]): string {
  for (const frame of stack) {
    const found = PACKAGE.exec(frame) ?? SOURCE.exec(frame);
    if (found) return found[1]!;
  }
  const all = stack.join('\n');
  if (GC.test(all)) return '(V8 garbage collection)';
  if (JIT.test(all)) return '(V8 compiling)';
  const core = stack.map((frame) => /(node:[^: ]+)/.exec(frame)?.[1]).find(Boolean);
  if (core) return `(node core only) ${core}`;
  return stack.some((frame) => frame.includes('kernel.kallsyms')) ? '(kernel only)' : '(native only)';
}

const counts = new Map<string, number>();
let total = 0;
let stack: string[] | null = null;
const finish = () => {
  if (stack && stack.length > 0) {
    // A background thread's compile or collection, whatever frames it has.
    const key = JIT.test(stack.join('\n')) && !PACKAGE.test(stack[0]!) ? '(V8 compiling)' : owner(stack);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  }
  stack = null;
};
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') finish();
  else if (!/^\s/.test(line)) {
    finish();
    stack = [];
  } else stack?.push(line.trim());
}
finish();
console.log(`${total} samples`);
for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${String(count).padStart(7)} ${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
}
