/**
 * Event delivery and who may raise events: every EventBridge target retries and keeps what it
 * could not deliver, every service's permission to invoke a Lambda is scoped to one source, and
 * a role may send events only to named buses, only under named sources.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { asList, parsePolicy } from './links.ts';

export const eventTargetsRetryAndDeadLetter: ResourceValidationPolicy = {
  name: 'event-targets-retry-and-dead-letter',
  description:
    'Every EventBridge target has a retry policy and a dead-letter queue, so no event is dropped unseen.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:cloudwatch/eventTarget:EventTarget') return;
    const retry = args.props.retryPolicy as { maximumRetryAttempts?: unknown } | undefined;
    if (typeof retry?.maximumRetryAttempts !== 'number') report(`${args.name}: set a retryPolicy`);
    const dlq = args.props.deadLetterConfig as { arn?: unknown } | undefined;
    if (dlq?.arn === undefined || dlq.arn === '')
      report(`${args.name}: set a deadLetterConfig (an SQS queue)`);
  },
};

export const lambdaPermissionsScoped: ResourceValidationPolicy = {
  name: 'lambda-permissions-scoped',
  description: "An AWS service may invoke a Lambda only from one source (the permission's sourceArn).",
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:lambda/permission:Permission') return;
    const principal = args.props.principal;
    if (typeof principal === 'string' && principal.endsWith('.amazonaws.com') && !args.props.sourceArn) {
      report(`${args.name}: ${principal} may invoke from anywhere; set sourceArn (the rule, the bucket...)`);
    }
  },
};

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Whether an action pattern grants events:PutEvents. */
function grantsPutEvents(action: unknown): boolean {
  return typeof action === 'string' && /^(\*|events:(\*|put\*|putevents))$/i.test(action);
}

export const putEventsScoped: ResourceValidationPolicy = {
  name: 'put-events-scoped',
  description:
    'A role may send events only to named buses, and only under sources named by an events:source condition.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:iam/rolePolicy:RolePolicy' && args.type !== 'aws:iam/policy:Policy') return;
    // Unknown during a first preview (built from ARNs not yet known): checked on the next one.
    const document = parsePolicy(args.props.policy);
    for (const statement of asList(document?.Statement as Statement | Statement[] | undefined)) {
      if (statement.Effect !== 'Allow' || !asList(statement.Action).some(grantsPutEvents)) continue;
      if (asList(statement.Resource).some((r) => r === '*' || !String(r).includes(':event-bus/'))) {
        report(`${args.name}: PutEvents must name its event buses, not "*"`);
      }
      const sources = Object.values(statement.Condition ?? {}).some((c) => 'events:source' in c);
      if (!sources)
        report(`${args.name}: PutEvents needs an events:source condition (which events it may send)`);
    }
  },
};
