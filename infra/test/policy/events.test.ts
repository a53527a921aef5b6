import { describe, expect, it } from 'vitest';
import {
  eventTargetsRetryAndDeadLetter,
  lambdaPermissionsScoped,
  putEventsScoped,
} from '../../policy/rules/events.ts';
import { resource, validateResource } from '../support/policy.ts';

const TARGET = 'aws:cloudwatch/eventTarget:EventTarget';
const PERMISSION = 'aws:lambda/permission:Permission';
const ROLE_POLICY = 'aws:iam/rolePolicy:RolePolicy';
const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';

describe('event-targets-retry-and-dead-letter', () => {
  const target = (props: Record<string, unknown>) =>
    resource(TARGET, 't', { rule: 'r', arn: 'fn', ...props });
  const retryPolicy = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };

  it('passes a target with both', () => {
    const props = { retryPolicy, deadLetterConfig: { arn: 'arn:aws:sqs:eu-west-1:1:dlq' } };
    expect(validateResource(eventTargetsRetryAndDeadLetter, target(props))).toEqual([]);
  });

  it.each([
    ['no dead-letter queue', { retryPolicy }, 'deadLetterConfig'],
    ['no retry policy', { deadLetterConfig: { arn: 'q' } }, 'retryPolicy'],
  ])('flags a target with %s', (_what, props, message) => {
    expect(validateResource(eventTargetsRetryAndDeadLetter, target(props))).toEqual([
      expect.stringContaining(message),
    ]);
  });
});

describe('lambda-permissions-scoped', () => {
  it('passes a permission scoped to its rule', () => {
    const props = { principal: 'events.amazonaws.com', sourceArn: 'arn:aws:events:eu-west-1:1:rule/r' };
    expect(validateResource(lambdaPermissionsScoped, resource(PERMISSION, 'p', props))).toEqual([]);
  });

  it('flags a service permission without a source', () => {
    const props = { principal: 'events.amazonaws.com' };
    expect(validateResource(lambdaPermissionsScoped, resource(PERMISSION, 'p', props))).toEqual([
      expect.stringContaining('sourceArn'),
    ]);
  });
});

describe('put-events-scoped', () => {
  const rolePolicy = (statement: Record<string, unknown>) =>
    resource(ROLE_POLICY, 'rp', {
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] }),
    });
  const condition = { StringEquals: { 'events:source': 'annot.web' } };

  it('passes PutEvents on a named bus under a source condition', () => {
    const policy = rolePolicy({ Action: ['events:PutEvents'], Resource: [BUS], Condition: condition });
    expect(validateResource(putEventsScoped, policy)).toEqual([]);
  });

  it.each([
    [
      'on every resource',
      { Action: ['events:PutEvents'], Resource: ['*'], Condition: condition },
      'event buses',
    ],
    ['without a source condition', { Action: ['events:PutEvents'], Resource: [BUS] }, 'events:source'],
    ['through a wildcard action', { Action: ['events:*'], Resource: [BUS] }, 'events:source'],
  ])('flags PutEvents %s', (_what, statement, message) => {
    expect(validateResource(putEventsScoped, rolePolicy(statement))).toEqual([
      expect.stringContaining(message),
    ]);
  });

  it('ignores other statements, and a policy not known yet (first preview)', () => {
    expect(
      validateResource(putEventsScoped, rolePolicy({ Action: ['s3:GetObject'], Resource: ['*'] })),
    ).toEqual([]);
    expect(validateResource(putEventsScoped, resource(ROLE_POLICY, 'rp', {}))).toEqual([]);
  });
});
