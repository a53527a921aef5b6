/**
 * CloudWatch alarms on what needs a person: messages in any dead-letter or failure queue, Lambda
 * errors and throttles, ALB 5xx and unhealthy hosts, RDS CPU and free storage. With an email in
 * config, an SNS topic notifies it on alarm and on recovery.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface MonitoringArgs {
  readonly alarmEmail: string | undefined;
  readonly queues: Readonly<Record<string, aws.sqs.Queue>>;
  readonly functions: Readonly<Record<string, aws.lambda.Function>>;
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  readonly databaseIdentifier: pulumi.Input<string>;
  readonly databaseStorageGb: number;
}

interface AlarmSpec {
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, pulumi.Input<string>>;
  readonly statistic: 'Sum' | 'Maximum' | 'Minimum' | 'Average';
  readonly comparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly threshold: number;
  readonly periodSeconds?: number;
  readonly evaluationPeriods?: number;
}

export class Monitoring extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Monitoring', name, {}, opts);

    // Not KMS-encrypted: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key.
    const topic = args.alarmEmail ? new aws.sns.Topic(`${name}-alarms`, {}, { parent: this }) : undefined;
    if (topic && args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: 'email', endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    const actions = topic ? [topic.arn] : [];

    const alarm = (key: string, spec: AlarmSpec) => {
      new aws.cloudwatch.MetricAlarm(
        `${name}-${key}`,
        {
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: spec.dimensions,
          statistic: spec.statistic,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          period: spec.periodSeconds ?? 300,
          evaluationPeriods: spec.evaluationPeriods ?? 1,
          treatMissingData: 'notBreaching',
          alarmActions: actions,
          okActions: actions,
        },
        { parent: this },
      );
    };

    for (const [key, queue] of Object.entries(args.queues)) {
      alarm(`${key}-depth`, {
        description: `Messages waiting in ${key}: events or invocations that failed for good`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queue.name },
        statistic: 'Maximum',
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
      });
    }
    for (const [key, fn] of Object.entries(args.functions)) {
      for (const metricName of ['Errors', 'Throttles']) {
        alarm(`${key}-${metricName.toLowerCase()}`, {
          description: `${key} Lambda ${metricName.toLowerCase()}`,
          namespace: 'AWS/Lambda',
          metricName,
          dimensions: { FunctionName: fn.name },
          statistic: 'Sum',
          comparisonOperator: 'GreaterThanThreshold',
          threshold: 0,
        });
      }
    }
    const lb = { LoadBalancer: args.loadBalancerArnSuffix };
    for (const metricName of ['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']) {
      alarm(metricName.startsWith('HTTPCode_ELB') ? 'alb-5xx' : 'target-5xx', {
        description: `More than 5 ${metricName} in 5 minutes`,
        namespace: 'AWS/ApplicationELB',
        metricName,
        dimensions: lb,
        statistic: 'Sum',
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 5,
      });
    }
    alarm('unhealthy-hosts', {
      description: 'A web instance fails its /health check',
      namespace: 'AWS/ApplicationELB',
      metricName: 'UnHealthyHostCount',
      dimensions: { ...lb, TargetGroup: args.targetGroupArnSuffix },
      statistic: 'Maximum',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      periodSeconds: 60,
      evaluationPeriods: 2,
    });
    const db = { DBInstanceIdentifier: args.databaseIdentifier };
    alarm('db-cpu', {
      description: 'RDS CPU above 80% for 15 minutes',
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: db,
      statistic: 'Average',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 80,
      evaluationPeriods: 3,
    });
    alarm('db-free-storage', {
      description: 'RDS free storage below 10% of the allocation',
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: db,
      statistic: 'Minimum',
      comparisonOperator: 'LessThanThreshold',
      threshold: Math.round(args.databaseStorageGb * 0.1 * 1024 ** 3),
    });

    this.topicArn = topic?.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
