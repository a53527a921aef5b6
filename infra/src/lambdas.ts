/**
 * A worker Lambda from its container image: its own least-privilege role, its log group with a
 * retention, private subnets with the Lambda security group, optional reserved concurrency, and an SQS
 * on-failure destination for invocations that still fail after Lambda's retries.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { workerEnv } from './app-env.ts';
import type { RetrySettings, WorkerSettings } from './config-types.ts';
import type { DatabaseRef } from './database.ts';
import { annotatorPolicy, assumeRolePolicy, thumbnailerPolicy } from './policies.ts';
import { sharedEnvInputs, sharedPolicyArns } from './workload.ts';

export type WorkerKind = 'annotator' | 'thumbnailer';
/** One of something for each worker, by name. */
export type PerWorker<T> = { readonly [K in WorkerKind]: T };

interface CommonWorkerArgs {
  readonly functionName: string;
  readonly imageUri: pulumi.Input<string>;
  readonly settings: WorkerSettings;
  readonly retry: RetrySettings;
  readonly queueRetentionDays: number;
  readonly logRetentionDays: number;
  readonly subnetIds: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly originals: aws.s3.Bucket;
  readonly thumbnails: aws.s3.Bucket;
  readonly database: DatabaseRef;
  readonly appEnv: Readonly<Record<string, string>>;
  /** DB_POOL_SIZE of each instance of the function. */
  readonly poolSize: number;
  /** What must be done before the function is created or updated: the schema migrations. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The annotator runs Gemini (and then cannot be built without its key's secret) or the local
 * vision models (no secret); the thumbnailer has none.
 */
export type WorkerFunctionArgs = CommonWorkerArgs &
  (
    | {
        readonly kind: 'annotator';
        readonly annotator: 'gemini';
        readonly geminiApiKeySecretArn: pulumi.Input<string>;
      }
    | { readonly kind: 'annotator'; readonly annotator: 'local' }
    | { readonly kind: 'thumbnailer' }
  );

export class WorkerFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly failureQueue: aws.sqs.Queue;

  constructor(name: string, args: WorkerFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:WorkerFunction', name, {}, opts);
    const parent = { parent: this };

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays },
      parent,
    );
    this.failureQueue = new aws.sqs.Queue(
      `${name}-failures`,
      { messageRetentionSeconds: args.queueRetentionDays * 86400, sqsManagedSseEnabled: true },
      parent,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(assumeRolePolicy('lambda.amazonaws.com')) },
      parent,
    );
    const arns = pulumi.all([sharedPolicyArns(args, logGroup), this.failureQueue.arn]);
    const geminiApiKeySecretArn =
      args.kind === 'annotator' && args.annotator === 'gemini' ? args.geminiApiKeySecretArn : undefined;
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy:
          args.kind === 'annotator'
            ? pulumi
                .all([arns, geminiApiKeySecretArn])
                .apply(([[{ thumbnailsBucketArn: _, ...shared }, failureQueueArn], geminiSecretArn]) =>
                  JSON.stringify(annotatorPolicy({ ...shared, failureQueueArn, geminiSecretArn })),
                )
            : arns.apply(([shared, failureQueueArn]) =>
                JSON.stringify(thumbnailerPolicy({ ...shared, failureQueueArn })),
              ),
      },
      parent,
    );

    const localAnnotator = args.kind === 'annotator' && args.annotator === 'local';
    const environment = pulumi
      .all([sharedEnvInputs(args), geminiApiKeySecretArn])
      .apply(([shared, geminiApiKeySecretArn]) =>
        workerEnv({
          ...shared,
          geminiApiKeySecretArn,
          localAnnotator,
          poolSize: args.poolSize,
          timeoutSeconds: args.settings.timeoutSeconds,
        }),
      );

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        name: args.functionName,
        packageType: 'Image',
        imageUri: args.imageUri,
        architectures: ['x86_64'],
        role: role.arn,
        memorySize: args.settings.memoryMb,
        timeout: args.settings.timeoutSeconds,
        // Unset: no reservation. Accounts whose concurrency quota is 10 reject any reservation.
        ...(args.settings.reservedConcurrency === undefined
          ? {}
          : { reservedConcurrentExecutions: args.settings.reservedConcurrency }),
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [args.securityGroupId] },
        environment: { variables: environment as pulumi.Output<Record<string, string>> },
        loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      },
      // The role's permissions must exist before the first invocation, and the log group before
      // Lambda would create one without a retention. The schema is migrated before the code that
      // needs it is deployed. The name is explicit, so a replacement must delete the old function
      // first (two functions cannot share the name).
      {
        parent: this,
        dependsOn: [rolePolicy, logGroup, ...(args.dependsOn ?? [])],
        deleteBeforeReplace: true,
      },
    );

    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: this.function.name,
        maximumRetryAttempts: args.retry.attempts,
        maximumEventAgeInSeconds: args.retry.maxAgeSeconds,
        destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.registerOutputs({ functionName: this.function.name, failureQueueUrl: this.failureQueue.url });
  }
}
