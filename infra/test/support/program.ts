/**
 * Runs the real program (src/index.ts) under the mocks with a given stack config, and returns
 * every resource it registered and its stack outputs. Each run re-imports the program, so runs do
 * not share module state.
 */
import * as pulumi from '@pulumi/pulumi';
import { vi } from 'vitest';
import { createMocks, optionsByResource, REGION, type RecordedResource } from './mocks.ts';

export const PROJECT = 'image-annotation-platform';
/** Looks like a Google API key, so the policy pack's value check would also spot it. */
export const GEMINI_KEY = 'AIzaSyTEST-not-a-real-key-0123456789abc';

export interface RunOptions {
  readonly stack?: string;
  /** Project config keys (without the namespace); undefined removes a default. */
  readonly config?: Readonly<Record<string, string | undefined>>;
  readonly region?: string | undefined;
}

export interface OutputValue {
  readonly value: unknown;
  readonly secret: boolean;
}

export interface ProgramRun {
  readonly resources: readonly RecordedResource[];
  readonly outputs: Readonly<Record<string, OutputValue>>;
  readonly unexpected: readonly string[];
}

export const BASE_CONFIG = { owner: 'platform-team', geminiApiKey: GEMINI_KEY } as const;

type InternalOutput = { promise(): Promise<unknown>; isSecret: Promise<boolean> };
type RuntimeInternals = { waitForRPCs(): Promise<void> };

async function settle(): Promise<void> {
  // Registrations run on later turns of the event loop; wait until the RPC queue stays empty.
  await (pulumi.runtime as unknown as RuntimeInternals).waitForRPCs();
}

async function resolve(value: unknown): Promise<OutputValue> {
  if (!pulumi.Output.isInstance(value)) return { value, secret: false };
  const output = value as unknown as InternalOutput;
  return { value: await output.promise(), secret: await output.isSecret };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
}
type Monitor = { registerResource(req: RegisterRequest, callback: unknown): unknown };

/**
 * The mocks see a resource's type, name and inputs, not its options. The monitor does: record
 * protect, deleteBeforeReplace and dependsOn from each registration before the mocks answer it.
 */
function recordOptions(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    optionsByResource.set(`${req.getType()}::${req.getName()}`, {
      protect: req.getProtect() ?? false,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      dependsOn: req.getDependenciesList(),
    });
    return register(req, callback);
  };
}

function configure(
  stack: string,
  options: RunOptions,
  recorded: RecordedResource[],
  unexpected: string[],
): void {
  optionsByResource.clear();
  pulumi.runtime.setMocks(createMocks(recorded, unexpected), PROJECT, stack, false);
  recordOptions();
  const merged: Record<string, string | undefined> = { ...BASE_CONFIG, ...options.config };
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged))
    if (value !== undefined) all[`${PROJECT}:${key}`] = value;
  const region = 'region' in options ? options.region : REGION;
  if (region !== undefined) all['aws:region'] = region;
  pulumi.runtime.setAllConfig(all, [`${PROJECT}:geminiApiKey`]);
}

/** Runs the program; rejects with the program's error (e.g. a StackConfigError). */
export async function runProgram(options: RunOptions = {}): Promise<ProgramRun> {
  const recorded: RecordedResource[] = [];
  const unexpected: string[] = [];
  configure(options.stack ?? 'dev', options, recorded, unexpected);
  vi.resetModules();
  const program = (await import('../../src/index.ts')) as Record<string, unknown>;
  await settle();
  const outputs: Record<string, OutputValue> = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
  await settle();
  if (unexpected.length > 0)
    throw new Error(`the program used what the mocks do not allow:\n${unexpected.join('\n')}`);
  return { resources: recorded, outputs, unexpected };
}

/** Runs the program expecting it to fail; returns the error and what was registered before it. */
export async function runProgramExpectingError(
  options: RunOptions,
): Promise<{ error: Error; resources: readonly RecordedResource[] }> {
  const recorded: RecordedResource[] = [];
  configure(options.stack ?? 'dev', options, recorded, []);
  vi.resetModules();
  try {
    await import('../../src/index.ts');
  } catch (error) {
    await settle();
    return { error: error as Error, resources: recorded };
  }
  throw new Error('the program ran without error');
}

/** Every optional feature switched on, for the "on" side of each toggle. */
export const ALL_ON = {
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
  enableWaf: 'true',
  wafRateLimit: '500',
  enableCloudFront: 'true',
  // With a certificate, CloudFront reaches the ALB over HTTPS by a name in it.
  albDomainName: 'origin.images.example.com',
  alarmEmail: 'oncall@example.com',
  production: 'true',
  enableCache: 'true',
  cacheNodeCount: '2',
  readReplicaCount: '2',
} as const;
