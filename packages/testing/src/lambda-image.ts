// A Lambda container image, as far as it can be built without Docker: the app's Dockerfile is read
// and its steps are carried out in a temporary task root (COPY from the build context, RUN in a
// shell, ENV and ARG as Docker expands them, multi-stage FROM between its own stages), so a test or
// a bench loads the bundle with exactly the files and environment the image would have. Only the
// base image (public.ecr.aws/lambda/nodejs:24) is this machine: Node 24 on linux x64, glibc.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  cp,
  glob,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './fixtures.ts';

export interface LambdaImage {
  /** The task root (/var/task in AWS): the bundle, and node_modules as the image installed it. */
  readonly taskRoot: string;
  /** The module file and export CMD names ("index.handler": index.mjs, handler). */
  readonly handlerFile: string;
  readonly handlerExport: string;
  /** The environment the image sets (ENV), to which the function's own environment is added. */
  readonly env: Readonly<Record<string, string>>;
  /** Bytes on disk of the task root, node_modules included. */
  size(): Promise<{ total: number; nodeModules: number }>;
  remove(): Promise<void>;
}

export interface LambdaImageOptions {
  /** The build context (the app's directory), which holds the Dockerfile and dist/. */
  readonly context: string;
  /** --build-arg values. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Where installed layers are kept between runs (Docker's layer cache); default under node_modules/.cache. */
  readonly cacheDir?: string;
}

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/**
 * Builds the image of `context/Dockerfile` into a temporary task root. The steps up to the last RUN
 * (the dependency install) are cached by their text and the bytes they copy, as Docker caches
 * layers; the files copied after it (the bundle) are always fresh. One difference from Docker:
 * `npm cache clean --force`, which keeps the image layer small, is not run, so that the machine's
 * npm cache is left alone.
 */
export async function buildLambdaImage(options: LambdaImageOptions): Promise<LambdaImage> {
  const dockerfile = await readFile(path.join(options.context, 'Dockerfile'), 'utf8');
  const steps = stageSteps(parseDockerfile(dockerfile), options.buildArgs ?? {});
  const lastRun = steps.findLastIndex((s) => s.instruction.op === 'RUN');
  const cacheRoot = options.cacheDir ?? path.join(repoRoot, 'node_modules', '.cache', 'lambda-image');

  // The install layer: everything up to the last RUN, cached by what it is made of.
  const hash = createHash('sha256');
  for (const step of steps.slice(0, lastRun + 1)) {
    hash.update(`${step.instruction.op} ${step.instruction.args}\n${JSON.stringify(step.vars)}\n`);
    if (step.instruction.op === 'COPY') {
      for (const { files } of await copySources(options.context, step.instruction.args, step.vars)) {
        for (const file of files) {
          hash.update(`${path.relative(options.context, file)}\n`).update(await readFile(file));
        }
      }
    }
  }
  // Named by image (the context folder and the build arguments), so that a new layer replaces
  // the image's old one instead of piling up.
  const where = createHash('sha256').update(path.resolve(options.context)).digest('hex').slice(0, 8);
  const name = [
    `${path.basename(options.context)}_${where}`,
    ...Object.entries(options.buildArgs ?? {}).map(([k, v]) => `${k}=${v}`),
  ]
    .join('-')
    .replace(/[^\w.=-]/g, '_');
  const layer = path.join(cacheRoot, `${name}@${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(path.join(layer, '.complete'))) {
    const building = `${layer}.building-${process.pid}`;
    await rm(building, { recursive: true, force: true });
    // npm takes the nearest ancestor with a package.json or node_modules for the project: an empty
    // node_modules keeps it here, as in the image, whose /var/task has no ancestor project.
    await mkdir(path.join(building, 'node_modules'), { recursive: true });
    try {
      for (const step of steps.slice(0, lastRun + 1)) await apply(step, options.context, building);
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw error;
    }
    await writeFile(path.join(building, '.complete'), '');
    await rm(layer, { recursive: true, force: true });
    await rename(building, layer);
    for (const entry of await readdir(cacheRoot)) {
      const [image, version = ''] = entry.split('@');
      if (image === name && !version.includes('.building-') && path.join(cacheRoot, entry) !== layer) {
        await rm(path.join(cacheRoot, entry), { recursive: true, force: true });
      }
    }
  }

  const taskRoot = await mkdtemp(path.join(os.tmpdir(), 'lambda-task-'));
  await cp(layer, taskRoot, {
    recursive: true,
    filter: (source) => path.basename(source) !== 'node_modules' && path.basename(source) !== '.complete',
  });
  // node_modules is large: linked, not copied (Node resolves packages through the link).
  if (existsSync(path.join(layer, 'node_modules'))) {
    await symlink(path.join(layer, 'node_modules'), path.join(taskRoot, 'node_modules'), 'dir');
  }
  let env: Record<string, string> = {};
  let cmd = '';
  for (const [index, step] of steps.entries()) {
    if (index > lastRun) await apply(step, options.context, taskRoot);
    if (step.instruction.op === 'ENV')
      env = { ...env, ...parseAssignments(expand(step.instruction.args, step.vars)) };
    if (step.instruction.op === 'CMD') cmd = (JSON.parse(step.instruction.args) as string[])[0] ?? '';
  }
  const match = /^(.+)\.([^.]+)$/.exec(cmd);
  if (!match) throw new Error(`Dockerfile CMD "${cmd}" is not a "file.export" handler`);
  const base = match[1]!;
  const handlerFile = ['.mjs', '.js', '.cjs']
    .map((ext) => base + ext)
    .find((f) => existsSync(path.join(taskRoot, f)));
  if (!handlerFile) throw new Error(`the image has no ${base}.mjs, .js or .cjs for CMD "${cmd}"`);
  return {
    taskRoot,
    handlerFile,
    handlerExport: match[2]!,
    env,
    async size() {
      const nodeModules = await diskUsage(path.join(layer, 'node_modules'));
      return { total: (await diskUsage(taskRoot)) + nodeModules, nodeModules };
    },
    remove: () => rm(taskRoot, { recursive: true, force: true }),
  };
}

/** Dockerfile lines with continuations joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (pending !== '' && line.trim().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const space = full.search(/\s/);
    instructions.push({ op: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() });
  }
  return instructions;
}

interface Step {
  readonly instruction: Instruction;
  /** ARG and ENV values in scope for this step. */
  readonly vars: Readonly<Record<string, string>>;
}

const BASE_IMAGE = 'public.ecr.aws/lambda/nodejs:24';

/** The steps of the final stage, following FROM <stage> back through the stages it builds on. */
function stageSteps(instructions: Instruction[], buildArgs: Readonly<Record<string, string>>): Step[] {
  const globalArgs: Record<string, string> = {};
  const stages = new Map<string, Step[]>();
  let current: Step[] | undefined;
  let vars: Record<string, string> = {};
  let last: Step[] = [];
  for (const instruction of instructions) {
    if (instruction.op === 'FROM') {
      const [image = '', , name] = expand(instruction.args, { ...globalArgs }).split(/\s+/);
      const parent = stages.get(image);
      if (!parent && image !== BASE_IMAGE) {
        throw new Error(`FROM ${image}: neither a stage of this Dockerfile nor the base image ${BASE_IMAGE}`);
      }
      current = parent ? [...parent] : [];
      vars = parent ? { ...(parent.at(-1)?.vars ?? {}) } : {};
      // The Lambda base image's own environment.
      vars.LAMBDA_TASK_ROOT ??= '/var/task';
      if (name) stages.set(name, current);
      last = current;
      continue;
    }
    if (instruction.op === 'ARG') {
      const [key = '', value] = instruction.args.split('=', 2);
      const resolved = buildArgs[key] ?? (value === undefined ? undefined : expand(value, vars));
      if (current === undefined) {
        if (resolved !== undefined) globalArgs[key] = resolved;
      } else {
        const inherited = resolved ?? globalArgs[key];
        if (inherited !== undefined) vars = { ...vars, [key]: inherited };
      }
      continue;
    }
    if (current === undefined) throw new Error(`${instruction.op} before the first FROM`);
    if (instruction.op === 'ENV') vars = { ...vars, ...parseAssignments(expand(instruction.args, vars)) };
    current.push({ instruction, vars });
  }
  return last;
}

async function apply(step: Step, context: string, taskRoot: string): Promise<void> {
  const { op, args } = step.instruction;
  if (op === 'WORKDIR') {
    if (expand(args, step.vars) !== '/var/task')
      throw new Error(`WORKDIR ${args}: only the task root is simulated`);
  } else if (op === 'COPY') {
    const parts = expand(args, step.vars).split(/\s+/);
    const target = path.join(taskRoot, parts.at(-1)!);
    const sources = await copySources(context, args, step.vars);
    for (const { source, files } of sources) {
      // As Docker does: a directory's contents go into the target; a file into a target ending in /.
      const directory = files.length !== 1 || files[0] !== source;
      const intoTarget = !(parts.at(-1)!.endsWith('/') || sources.length > 1);
      for (const file of files) {
        const destination = directory
          ? path.join(target, path.relative(source, file))
          : intoTarget
            ? target
            : path.join(target, path.basename(source));
        await mkdir(path.dirname(destination), { recursive: true });
        await cp(file, destination);
      }
    }
  } else if (op === 'RUN') {
    // The image's build step, on this machine; its cache clean-up would empty the machine's npm cache.
    const command = args.replace(/npm cache clean --force/g, 'true');
    const env = { ...process.env, ...step.vars, LAMBDA_TASK_ROOT: taskRoot };
    await run(command, taskRoot, env);
  }
}

/**
 * What each COPY source brings from the build context: its files, after .dockerignore (whose last
 * matching pattern decides, `!` re-including; a pattern that matches a folder covers what is in it).
 */
async function copySources(
  context: string,
  args: string,
  vars: Readonly<Record<string, string>>,
): Promise<{ source: string; files: string[] }[]> {
  const ignore = await dockerignore(context);
  const parts = expand(args, vars).split(/\s+/).slice(0, -1);
  const sources: { source: string; files: string[] }[] = [];
  for (const part of parts) {
    const matched: string[] = [];
    for await (const file of glob(part, { cwd: context })) {
      if (!ignore(file)) matched.push(file);
    }
    // A pattern with a wildcard may match nothing (Docker's `file*` idiom); a plain path must exist.
    if (matched.length === 0 && !/[*?[]/.test(part)) {
      throw new Error(`COPY ${part}: no such file in ${context} (or .dockerignore leaves it out)`);
    }
    for (const relative of matched.sort()) {
      const source = path.join(context, relative);
      const files = (await stat(source)).isDirectory()
        ? (await filesUnder(source)).filter((file) => !ignore(path.relative(context, file)))
        : [source];
      sources.push({ source, files });
    }
  }
  return sources;
}

async function dockerignore(context: string): Promise<(relative: string) => boolean> {
  const text = await readFile(path.join(context, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => ({ include: line.startsWith('!'), glob: path.normalize(line.replace(/^!/, '')) }));
  return (relative) => {
    const ancestors: string[] = [];
    for (let p = path.normalize(relative); p !== '.' && p !== ''; p = path.dirname(p)) ancestors.push(p);
    let ignored = false;
    for (const pattern of patterns) {
      if (ancestors.some((p) => path.matchesGlob(p, pattern.glob))) ignored = !pattern.include;
    }
    return ignored;
  };
}

function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    return vars[name] ?? '';
  });
}

function parseAssignments(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) result[match[1]!] = match[3] ?? match[2]!;
  return result;
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-ec', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output = (output + chunk).slice(-8000)));
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-8000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`RUN ${command}\nexited with ${code}:\n${output}`)),
    );
  });
}

async function filesUnder(directory: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of glob('**/*', { cwd: directory, withFileTypes: true })) {
    if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
  }
  return files.sort();
}

/** Bytes of the regular files under a directory (symbolic links not followed). */
async function diskUsage(target: string): Promise<number> {
  if (!existsSync(target)) return 0;
  let total = 0;
  for await (const entry of glob('**/*', { cwd: target, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export interface InvocationResult {
  /** What the handler resolved, or undefined when it threw. */
  readonly outcome?: unknown;
  /** The handler's error (stack), when it threw. */
  readonly error?: string;
  /** Since the process started. */
  readonly startedMs: number;
  readonly finishedMs: number;
  /** CPU time (user + system) the process had used when the event was done. */
  readonly cpuMs: number;
  /** Resident set size after this event. */
  readonly rssBytes?: number;
}

export interface ColdStartReport {
  /** Node's own start-up: from the process's start until the runner's first line ran. */
  readonly bootMs: number;
  /** From the process's start until the bundle was imported and its handler exported (Lambda's init). */
  readonly readyMs: number;
  /** CPU time (user + system) the process had used by then: less sensitive to other work on the machine. */
  readonly readyCpuMs: number;
  /** One per event, in order. */
  readonly results: readonly InvocationResult[];
  /** Peak resident set size of the process over the whole run. */
  readonly maxRssBytes: number;
  /** What the function wrote on stdout and stderr (its JSON log lines). */
  readonly output: string;
}

export class LambdaInitError extends Error {
  override readonly name = 'LambdaInitError';
}

const RUNNER = path.join(import.meta.dirname, 'lambda-runner.mjs');

/**
 * Starts a fresh Node process with the image's environment plus `env` (the function's
 * configuration), loads the handler from the task root as the Lambda Node.js runtime does, and
 * invokes it once per event, in order. Rejects with LambdaInitError when the module fails to load.
 */
export async function invokeLambdaImage(
  image: LambdaImage,
  options: {
    readonly env: Readonly<Record<string, string>>;
    readonly events: readonly unknown[];
    readonly functionName?: string;
    readonly memoryMb?: number;
    readonly timeoutMs?: number;
  },
): Promise<ColdStartReport> {
  const eventsFile = path.join(image.taskRoot, `.events-${process.pid}-${Date.now()}.json`);
  await writeFile(eventsFile, JSON.stringify(options.events));
  try {
    const functionName = options.functionName ?? 'function';
    // What the Lambda runtime sets, then the image's ENV, then the function's environment.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: os.tmpdir(),
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: image.taskRoot,
      _HANDLER: `${path.parse(image.handlerFile).name}.${image.handlerExport}`,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb ?? 1024),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      ...image.env,
      ...options.env,
    };
    const child = spawn(
      process.execPath,
      [RUNNER, path.join(image.taskRoot, image.handlerFile), image.handlerExport, eventsFile],
      { cwd: image.taskRoot, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    let report = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.stdio[3]!.on('data', (chunk) => (report += chunk));
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    }).finally(() => clearTimeout(timer));
    if (report.trim() === '') {
      throw new LambdaInitError(
        `the function process exited (code ${code}) without a report${code === null ? ` (killed after ${timeoutMs} ms)` : ''}:\n${output.slice(-4000)}`,
      );
    }
    const parsed = JSON.parse(report) as Omit<ColdStartReport, 'output'> & { initError?: string };
    if (parsed.initError)
      throw new LambdaInitError(`the function failed to load: ${parsed.initError}\n${output.slice(-4000)}`);
    return { ...parsed, output };
  } finally {
    await rm(eventsFile, { force: true });
  }
}
