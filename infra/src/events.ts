/**
 * The EventBridge rule that fans each new original out to both workers. Its pattern is the one
 * object the local bus also matches with (`objectCreatedPattern` from @annot/events). Each target
 * has a retry policy and its own SQS dead-letter queue, and each Lambda's invoke permission is
 * scoped to this rule.
 */
import { objectCreatedPattern } from '@annot/events';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { RetrySettings } from './config-types.ts';
import type { PerWorker, WorkerKind } from './lambdas.ts';
import { eventBridgeDlqPolicy } from './resource-policies.ts';

export interface EventsArgs {
  readonly originalsBucketName: pulumi.Input<string>;
  /** The Lambda that each worker's events are delivered to. */
  readonly functions: PerWorker<aws.lambda.Function>;
  readonly retry: RetrySettings;
  readonly dlqRetentionDays: number;
}

export class Events extends pulumi.ComponentResource {
  readonly ruleArn: pulumi.Output<string>;
  /** Each worker's dead-letter queue: the events EventBridge could not deliver to it. */
  readonly deadLetterQueues: PerWorker<aws.sqs.Queue>;

  constructor(name: string, args: EventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Events', name, {}, opts);
    const parent = { parent: this };

    const rule = new aws.cloudwatch.EventRule(
      `${name}-object-created`,
      {
        description: 'New originals under uploads/ go to the thumbnailer and the annotator',
        eventPattern: pulumi
          .output(args.originalsBucketName)
          .apply((bucket) => JSON.stringify(objectCreatedPattern(bucket))),
      },
      parent,
    );

    const target = (key: WorkerKind): aws.sqs.Queue => {
      const fn = args.functions[key];
      const dlq = new aws.sqs.Queue(
        `${name}-${key}-dlq`,
        { messageRetentionSeconds: args.dlqRetentionDays * 86400, sqsManagedSseEnabled: true },
        parent,
      );
      const dlqPolicy = new aws.sqs.QueuePolicy(
        `${name}-${key}-dlq`,
        {
          queueUrl: dlq.url,
          policy: pulumi
            .all([dlq.arn, rule.arn])
            .apply(([queueArn, ruleArn]) => JSON.stringify(eventBridgeDlqPolicy(queueArn, ruleArn))),
        },
        parent,
      );
      const permission = new aws.lambda.Permission(
        `${name}-${key}-invoke`,
        {
          action: 'lambda:InvokeFunction',
          function: fn.name,
          principal: 'events.amazonaws.com',
          sourceArn: rule.arn,
        },
        parent,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${key}`,
        {
          rule: rule.name,
          arn: fn.arn,
          retryPolicy: {
            maximumRetryAttempts: args.retry.attempts,
            maximumEventAgeInSeconds: args.retry.maxAgeSeconds,
          },
          deadLetterConfig: { arn: dlq.arn },
        },
        { parent: this, dependsOn: [permission, dlqPolicy] },
      );
      return dlq;
    };

    this.ruleArn = rule.arn;
    this.deadLetterQueues = { annotator: target('annotator'), thumbnailer: target('thumbnailer') };
    this.registerOutputs({ ruleArn: rule.arn });
  }
}
