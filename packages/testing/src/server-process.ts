// The web app as a child process, started the way it is deployed
// (`node --expose-gc apps/web/src/main.ts`) or run locally (`node --expose-gc apps/embedded/src/dev.ts`),
// so a bench measures, and a fault test kills, the real entry point.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SETTINGS } from '@annot/config';
import { repoRoot } from './fixtures.ts';

export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** The processes serving requests: the cluster's workers, or the process itself without a cluster. */
  servingPids(): number[];
  /** The last lines the server printed (for error messages). */
  output(): string;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** A graceful stop: SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** A crash: SIGKILL to the process and its cluster workers at once; resolves when it has exited. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Path from the repository root, e.g. "apps/web/src/main.ts". */
  readonly entry: string;
  /** Platform settings; every other platform setting in this process's environment is removed. */
  readonly env: Record<string, string>;
  /** Wait for this many cluster workers before returning (0: no cluster). */
  readonly workers?: number;
  readonly timeoutMs?: number;
  /** Told of every whole line the server prints on stdout (a bench reads its JSON log lines). */
  readonly onLine?: (line: string) => void;
}

/**
 * The node flags the web app is started with wherever it runs (the image's CMD, `pnpm start`,
 * `pnpm dev`): --expose-gc gives its upload path V8's gc() (apps/web/src/upload/reclaim.ts), and
 * the probe's forced collections use it too.
 */
export const NODE_FLAGS: readonly string[] = ['--expose-gc'];

/** A port free right now on loopback (the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

/** The parent's environment without any platform setting, so only what a bench sets applies. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const platform = new Set<string>(SETTINGS.map((s) => s.name));
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !platform.has(name) && !name.startsWith('AWS_') && name !== 'NODE_OPTIONS') {
      env[name] = value;
    }
  }
  return env;
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = options.env.PORT ?? String(await freePort());
  const env = { ...cleanEnv(), ...options.env, PORT: port, HOST: '127.0.0.1' };
  const child = spawn(process.execPath, [...NODE_FLAGS, path.resolve(repoRoot, options.entry)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  if (options.onLine) {
    const onLine = options.onLine;
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    pid: child.pid!,
    servingPids: () => {
      const children = descendants(child.pid!);
      return children.length > 0 ? children : [child.pid!];
    },
    output: () => output,
    get exited() {
      return hasExited(child);
    },
    stop: () => stopChild(child),
    kill: () => killChild(child),
  };
  try {
    await waitUntilReady(server, child, options.workers ?? 0, options.timeoutMs ?? 60_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return server;
}

async function waitUntilReady(
  server: ServerProcess,
  child: ChildProcess,
  workers: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new ServerStartError(
        `${server.url}: the server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${server.output()}`,
      );
    }
    const enoughWorkers = workers === 0 || descendants(server.pid).length >= workers;
    if (enoughWorkers && (await healthy(server.url))) return;
    await sleep(100);
  }
  throw new ServerStartError(
    `${server.url}/health did not answer 200 within ${timeoutMs} ms:\n${server.output()}`,
  );
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM (a graceful shutdown), then SIGKILL to the child and its workers after 15 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const workers = descendants(child.pid!);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => sigkill([child.pid!, ...workers]), 15_000);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL to the child and its workers together, as a crash of the machine's process would. */
async function killChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  sigkill([child.pid!, ...descendants(child.pid!)]);
  await exited;
}

function sigkill(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The parent of a process, or null when it is gone. */
function parentOf(pid: number): number | null {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (children, their children...), not `root` itself, from Linux's /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
