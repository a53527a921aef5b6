import path from 'node:path';
import { loadConfig } from '@annot/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextPath } from '../../src/paths.ts';
import { allows } from '../support/iam.ts';
import type { RecordedResource } from '../support/mocks.ts';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { inlinePolicyOf, ofType, one, T } from '../support/resources.ts';

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const WORKERS = ['annotator', 'thumbnailer'] as const;
/** Lambda rejects functions whose environment sets these. */
const LAMBDA_RESERVED_ENV = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_EXECUTION_ENV',
  '_HANDLER',
  'LAMBDA_TASK_ROOT',
];
const fn = (worker: string) => one(run.resources, T.lambda, `${worker}-function`);
const rolePolicyOf = (lambda: RecordedResource) => {
  const roles = ofType(run.resources, T.role).filter((r) => r.state.arn === lambda.inputs.role);
  expect(roles).toHaveLength(1);
  return inlinePolicyOf(run.resources, roles[0]!);
};

describe('the worker Lambdas', () => {
  it.each([
    ['annotator', 512, 60],
    ['thumbnailer', 256, 30],
  ] as const)(
    '%s runs its container image with %i MB and %i s, with no reserved concurrency by default',
    (worker, memory, timeout) => {
      expect(fn(worker).inputs).toMatchObject({
        packageType: 'Image',
        imageUri: one(run.resources, T.image, `-${worker}`).state.imageUri,
        memorySize: memory,
        timeout,
      });
      expect(fn(worker).inputs).not.toHaveProperty('reservedConcurrentExecutions');
    },
  );

  it.each(WORKERS)('%s runs in the private subnets with the Lambda security group', (worker) => {
    expect(fn(worker).inputs.vpcConfig).toEqual({
      subnetIds: ['subnet-private-1', 'subnet-private-2'],
      securityGroupIds: [one(run.resources, T.securityGroup, '-lambda').id],
    });
  });

  it.each(WORKERS)(
    'every Lambda has a DLQ path: %s has a target DLQ and an on-failure destination',
    (worker) => {
      expect(one(run.resources, T.target, `-${worker}`).inputs.deadLetterConfig.arn).toBe(
        one(run.resources, T.queue, `${worker}-dlq`).state.arn,
      );
      const invokeConfig = ofType(run.resources, T.invokeConfig).find(
        (c) => c.inputs.functionName === fn(worker).state.name,
      )!;
      expect(invokeConfig.inputs).toMatchObject({
        maximumRetryAttempts: 2,
        maximumEventAgeInSeconds: 3600,
        destinationConfig: {
          onFailure: { destination: one(run.resources, T.queue, `${worker}-failures`).state.arn },
        },
      });
      expect(
        allows(
          rolePolicyOf(fn(worker)),
          'sqs:SendMessage',
          one(run.resources, T.queue, `${worker}-failures`).state.arn as string,
        ),
      ).toBe(true);
    },
  );

  it.each(WORKERS)('%s logs to a log group with a retention', (worker) => {
    const group = ofType(run.resources, T.logGroup).find(
      (g) => g.inputs.name === fn(worker).inputs.loggingConfig.logGroup,
    )!;
    expect(group.inputs).toEqual({ name: `/aws/lambda/${fn(worker).inputs.name}`, retentionInDays: 30 });
  });

  it('each has its own role: the annotator cannot write thumbnails, the thumbnailer cannot read the Gemini key', () => {
    const thumbnails = one(run.resources, T.bucket, '-thumbnails').state.arn as string;
    const gemini = one(run.resources, T.secret, '-gemini-api-key').state.arn as string;
    expect(fn('annotator').inputs.role).not.toBe(fn('thumbnailer').inputs.role);
    expect(allows(rolePolicyOf(fn('annotator')), 's3:PutObject', `${thumbnails}/thumbnails/x.jpg`)).toBe(
      false,
    );
    expect(allows(rolePolicyOf(fn('annotator')), 'secretsmanager:GetSecretValue', gemini)).toBe(true);
    expect(allows(rolePolicyOf(fn('thumbnailer')), 's3:PutObject', `${thumbnails}/thumbnails/x.jpg`)).toBe(
      true,
    );
    expect(allows(rolePolicyOf(fn('thumbnailer')), 'secretsmanager:GetSecretValue', gemini)).toBe(false);
  });

  it('set no variable Lambda reserves, and give settings the platform config accepts', () => {
    const env = (worker: string) => fn(worker).inputs.environment.variables as Record<string, string>;
    for (const worker of WORKERS) {
      expect(Object.keys(env(worker)).filter((name) => LAMBDA_RESERVED_ENV.includes(name))).toEqual([]);
      const config = loadConfig({ ...env(worker), AWS_REGION: 'eu-west-1' });
      expect(config.storage.kind).toBe('s3');
      expect(config.database).toMatchObject({
        kind: 'mysql',
        secretArn: env(worker).DATABASE_SECRET_ARN,
        host: env(worker).DB_HOST,
      });
    }
    expect(loadConfig(env('annotator')).annotator).toMatchObject({
      kind: 'gemini',
      geminiApiKeySecretArn: one(run.resources, T.secret, '-gemini-api-key').state.arn,
    });
    expect(env('thumbnailer').GEMINI_API_KEY_SECRET_ARN).toBeUndefined();
  });

  it('take memory, timeout, concurrency and retries from config', async () => {
    const custom = await runProgram({
      config: {
        annotatorMemoryMb: '1024',
        annotatorTimeoutSeconds: '120',
        annotatorReservedConcurrency: '1',
        thumbnailerMemoryMb: '2048',
        thumbnailerTimeoutSeconds: '45',
        thumbnailerReservedConcurrency: '8',
        lambdaRetryAttempts: '0',
        eventRetryAttempts: '4',
        appEnv: '{"GEMINI_MODEL":"gemini-test-model","THUMBNAIL_WIDTH":"256"}',
      },
    });
    const customFn = (worker: string) => one(custom.resources, T.lambda, `${worker}-function`).inputs;
    expect(customFn('annotator')).toMatchObject({
      memorySize: 1024,
      timeout: 120,
      reservedConcurrentExecutions: 1,
    });
    expect(customFn('thumbnailer')).toMatchObject({
      memorySize: 2048,
      timeout: 45,
      reservedConcurrentExecutions: 8,
    });
    expect(customFn('annotator').environment.variables).toMatchObject({
      GEMINI_MODEL: 'gemini-test-model',
      THUMBNAIL_WIDTH: '256',
      // A claim on a stage outlives the function's longest run by 30 s.
      STAGE_LEASE_MS: '150000',
    });
    expect(customFn('thumbnailer').environment.variables.STAGE_LEASE_MS).toBe('75000');
    for (const config of ofType(custom.resources, T.invokeConfig))
      expect(config.inputs.maximumRetryAttempts).toBe(0);
    for (const target of ofType(custom.resources, T.target))
      expect(target.inputs.retryPolicy.maximumRetryAttempts).toBe(4);
  });
});

describe('container images', () => {
  it('each image has a repository scanned on push, with a lifecycle policy', () => {
    const repositories = ofType(run.resources, T.repository);
    expect(repositories).toHaveLength(3);
    for (const repository of repositories) {
      expect(repository.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
      const lifecycle = ofType(run.resources, T.ecrLifecycle).find(
        (l) => l.inputs.repository === repository.state.name,
      )!;
      expect(JSON.parse(lifecycle.inputs.policy).rules.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['web', '.', 'apps/web/Dockerfile'],
    ['annotator', 'apps/annotator', 'apps/annotator/Dockerfile'],
    ['thumbnailer', 'apps/thumbnailer', 'apps/thumbnailer/Dockerfile'],
  ])(
    '%s builds from context "%s" with %s for linux/amd64, paths relative to where Pulumi runs',
    (image, context, dockerfile) => {
      const built = one(run.resources, T.image, `-${image}`);
      // Pulumi runs the program in the repository root; this test runs in infra/.
      const root = new URL('../../../', import.meta.url).pathname;
      const fromRoot = (p: string) => path.relative(process.cwd(), path.join(root, p)) || '.';
      expect(built.inputs.context).toBe(fromRoot(context));
      expect(built.inputs.dockerfile).toBe(fromRoot(dockerfile));
      expect(path.isAbsolute(built.inputs.context)).toBe(false);
      expect(contextPath(context, root)).toBe(context);
      expect(contextPath(dockerfile, root)).toBe(dockerfile);
      expect(built.inputs.platform).toBe('linux/amd64');
      expect(built.inputs.repositoryUrl).toBe(
        one(run.resources, T.repository, `-${image}`).state.repositoryUrl,
      );
    },
  );
});
