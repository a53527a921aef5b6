/**
 * The EventBridge rules that deliver work to the workers, on the account's default bus:
 *
 * - "Object Created": each new original goes to both workers. Its pattern is the one object the
 *   local bus also matches with (`objectCreatedPattern` from @annot/events).
 * - "Stage Requested": a retry the web tier sends with PutEvents goes to the worker of that stage
 *   only, through a rule per worker (`stageRequestedPattern`, likewise shared).
 *
 * Each worker's targets on both rules have the same retry policy and the same SQS dead-letter
 * queue, whose policy admits both rules; each rule gets its own invoke permission on the Lambda,
 * scoped to that rule.
 */
import { objectCreatedPattern, type RequestableStage, stageRequestedPattern } from '@annot/events';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { RetrySettings } from './config-types.ts';
import type { PerWorker, WorkerKind } from './lambdas.ts';
import { eventBridgeDlqPolicy } from './resource-policies.ts';

/** The bus the rules are on and the web tier sends retries to (EVENT_BUS_NAME). */
export const EVENT_BUS_NAME = 'default';

/** The stage each worker records, and so the retries it takes. */
export const STAGE_OF: PerWorker<RequestableStage> = { annotator: 'annotation', thumbnailer: 'thumbnail' };

export interface EventsArgs {
  readonly originalsBucketName: pulumi.Input<string>;
  /** The Lambda that each worker's events are delivered to. */
  readonly functions: PerWorker<aws.lambda.Function>;
  readonly retry: RetrySettings;
  readonly dlqRetentionDays: number;
}

export class Events extends pulumi.ComponentResource {
  readonly ruleArn: pulumi.Output<string>;
  /** Each worker's retry rule ("Stage Requested" for its stage). */
  readonly retryRuleArns: PerWorker<pulumi.Output<string>>;
  /** Each worker's dead-letter queue: the events (uploads and retries) EventBridge could not deliver to it. */
  readonly deadLetterQueues: PerWorker<aws.sqs.Queue>;
  /** The bus's name (EVENT_BUS_NAME for the web tier) and ARN (its PutEvents grant). */
  readonly busName: string;
  readonly busArn: pulumi.Output<string>;

  constructor(name: string, args: EventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Events', name, {}, opts);
    const parent = { parent: this };
    const bucket = pulumi.output(args.originalsBucketName);

    const rule = new aws.cloudwatch.EventRule(
      `${name}-object-created`,
      {
        description: 'New originals under uploads/ go to the thumbnailer and the annotator',
        eventPattern: bucket.apply((b) => JSON.stringify(objectCreatedPattern(b))),
      },
      parent,
    );

    /** One Lambda target of one rule: its invoke permission scoped to the rule, the shared policy and DLQ. */
    const target = (
      resourceName: string,
      key: WorkerKind,
      on: aws.cloudwatch.EventRule,
      dlq: aws.sqs.Queue,
      dlqPolicy: aws.sqs.QueuePolicy,
    ) => {
      const fn = args.functions[key];
      const permission = new aws.lambda.Permission(
        `${resourceName}-invoke`,
        {
          action: 'lambda:InvokeFunction',
          function: fn.name,
          principal: 'events.amazonaws.com',
          sourceArn: on.arn,
        },
        parent,
      );
      new aws.cloudwatch.EventTarget(
        resourceName,
        {
          rule: on.name,
          arn: fn.arn,
          retryPolicy: {
            maximumRetryAttempts: args.retry.attempts,
            maximumEventAgeInSeconds: args.retry.maxAgeSeconds,
          },
          deadLetterConfig: { arn: dlq.arn },
        },
        { parent: this, dependsOn: [permission, dlqPolicy] },
      );
    };

    const worker = (key: WorkerKind) => {
      const stage = STAGE_OF[key];
      const retryRule = new aws.cloudwatch.EventRule(
        `${name}-${key}-stage-requested`,
        {
          description: `Retries of the ${stage} stage (from the web tier) go to the ${key}`,
          eventPattern: bucket.apply((b) => JSON.stringify(stageRequestedPattern(b, stage))),
        },
        parent,
      );
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
            .all([dlq.arn, rule.arn, retryRule.arn])
            .apply(([queueArn, ...ruleArns]) => JSON.stringify(eventBridgeDlqPolicy(queueArn, ruleArns))),
        },
        parent,
      );
      // The upload target keeps its original resource names, so existing stacks update in place.
      target(`${name}-${key}`, key, rule, dlq, dlqPolicy);
      target(`${name}-${key}-stage-requested`, key, retryRule, dlq, dlqPolicy);
      return { dlq, retryRuleArn: retryRule.arn };
    };

    const annotator = worker('annotator');
    const thumbnailer = worker('thumbnailer');
    this.ruleArn = rule.arn;
    this.retryRuleArns = { annotator: annotator.retryRuleArn, thumbnailer: thumbnailer.retryRuleArn };
    this.deadLetterQueues = { annotator: annotator.dlq, thumbnailer: thumbnailer.dlq };
    this.busName = EVENT_BUS_NAME;
    this.busArn = aws.cloudwatch.getEventBusOutput({ name: EVENT_BUS_NAME }, parent).arn;
    this.registerOutputs({ ruleArn: rule.arn, busArn: this.busArn });
  }
}
