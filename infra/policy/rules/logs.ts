/**
 * Logs expire: every log group has a retention, and every Lambda writes to a log group of the
 * stack (one Lambda would otherwise create on its own, kept forever).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { ofType, refersTo } from './links.ts';

const LOG_GROUP = 'aws:cloudwatch/logGroup:LogGroup';

export const logRetentionSet: ResourceValidationPolicy = {
  name: 'log-retention-set',
  description: 'Every CloudWatch log group has a retention period.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== LOG_GROUP) return;
    const days = args.props.retentionInDays;
    if (typeof days !== 'number' || days <= 0)
      report(`${args.name}: retentionInDays must be set (logs would be kept forever)`);
  },
};

export const lambdaLogGroupsManaged: StackValidationPolicy = {
  name: 'lambda-log-groups-managed',
  description: 'Every Lambda logs to a log group declared in the stack, so its retention applies.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const groups = ofType(args.resources, LOG_GROUP);
    for (const fn of ofType(args.resources, 'aws:lambda/function:Function')) {
      const logging = fn.props.loggingConfig as { logGroup?: string } | undefined;
      const declared = groups.some(
        (g) =>
          (logging?.logGroup !== undefined && logging.logGroup === g.props.name) ||
          (fn.props.name !== undefined && g.props.name === `/aws/lambda/${fn.props.name}`) ||
          refersTo(fn, 'loggingConfig', g),
      );
      if (!declared) report(`${fn.name}: declare its log group (with a retention) in the stack`, fn.urn);
    }
  },
};
